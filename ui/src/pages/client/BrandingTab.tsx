// The Branding tab of a client: the form on the left, the portal's sign-in page rendered from the
// draft on the right. Every change is checked offline with the server's own rules and previewed
// (debounced); a draft without errors is saved by itself, so it survives a restart. Publishing
// sends it (and the images chosen on this desk) to the Control Panel.
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  ColorInput,
  Code,
  CopyButton,
  Group,
  Input,
  Loader,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Tooltip,
  useComputedColorScheme,
} from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconCopy, IconPhoto, IconTrash } from "@tabler/icons-react";
import { lazy, Suspense, useMemo, useState, type ReactNode } from "react";

import type { AssetKind } from "../../bindings/AssetKind";
import type { BrandingView } from "../../bindings/BrandingView";
import type { BrandingWarning } from "../../bindings/BrandingWarning";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { DomainVerification } from "../../bindings/DomainVerification";
import type { PendingAsset } from "../../bindings/PendingAsset";
import type { PreviewTheme } from "../../bindings/PreviewTheme";
import type { UpdateBranding } from "../../bindings/UpdateBranding";
import type { VerificationStatus } from "../../bindings/VerificationStatus";
import { CommandResult } from "../../components/CommandResult";
import { DraftAlerts, DraftButtons } from "../../components/DraftActions";
import { formatBytes, formatDateTime, formatNumber, formatRelative } from "../../format";
import type { Command } from "../../hooks/useCommand";
import {
  FIELDS,
  domainKey,
  useBrandingDraft,
  useBrandingPreview,
  type BrandingDraft,
  type Busy,
  type SaveState,
} from "./useBrandingDraft";

// CodeMirror is only needed here: its own chunk, loaded when the tab is first shown.
const CssEditor = lazy(() => import("../../components/CssEditor"));

/** The WCAG 2.x AA contrast ratio for normal text. */
const AA_RATIO = 4.5;

type ColorField = "primary_color" | "secondary_color" | "accent_color";
const COLORS: Array<{ field: ColorField; label: string; testId: string }> = [
  { field: "primary_color", label: "Primary colour", testId: "branding-primary" },
  { field: "secondary_color", label: "Secondary colour", testId: "branding-secondary" },
  { field: "accent_color", label: "Accent colour", testId: "branding-accent" },
];

const STATUS: Record<VerificationStatus, { label: string; color: string }> = {
  pending: { label: "Pending", color: "yellow" },
  verified: { label: "Verified", color: "green" },
  failed: { label: "Failed", color: "red" },
};

const SAVE_STATES: Record<SaveState, { text: string; color: string }> = {
  errors: { text: "Not saved: fix the errors below", color: "red" },
  refused: { text: "Not saved", color: "red" },
  saving: { text: "Saving…", color: "dimmed" },
  unsaved: { text: "Changes not saved yet…", color: "dimmed" },
  draft: { text: "Draft saved on this desk", color: "dimmed" },
  synced: { text: "No changes since the last sync", color: "dimmed" },
};

/** The later of two verification states of one domain (by `checked_at`). On a tie, the one
 * that says why: a check that got no DNS answer keeps `checked_at` and only adds a reason. */
function later(a: DomainVerification, b: DomainVerification | null | undefined): DomainVerification {
  if (!b) return a;
  const at = (v: DomainVerification) => (v.checked_at ? Date.parse(v.checked_at) : -Infinity);
  if (at(b) !== at(a)) return at(b) > at(a) ? b : a;
  return b.reason && !a.reason ? b : a;
}

export function BrandingTab({
  detail,
  onChanged,
  onOpenConflicts,
}: {
  detail: ClientDetail;
  onChanged: () => void;
  onOpenConflicts?: () => void;
}) {
  const branding = useBrandingDraft(detail, onChanged);
  const appScheme = useComputedColorScheme("light");
  const [theme, setTheme] = useState<PreviewTheme>(appScheme);
  const preview = useBrandingPreview(detail.client.id, branding.draft, theme);
  const conflict = detail.conflicts.some((c) => c.kind === "branding");
  return (
    <CommandResult
      command={branding.load}
      testId="branding"
      errorTestId="branding-load-error"
      loading="Loading the branding…"
      failure="Could not load the branding"
    >
      {({ view, draft }) => (
        <BrandingForm
          branding={branding}
          view={view}
          draft={draft}
          preview={preview}
          theme={theme}
          onTheme={setTheme}
          dark={appScheme === "dark"}
          conflict={conflict}
          onOpenConflicts={onOpenConflicts}
        />
      )}
    </CommandResult>
  );
}

function BrandingForm({
  branding,
  view,
  draft,
  preview,
  theme,
  onTheme,
  dark,
  conflict,
  onOpenConflicts,
}: {
  branding: BrandingDraft;
  view: BrandingView;
  draft: UpdateBranding;
  preview: Command<string | null>;
  theme: PreviewTheme;
  onTheme: (theme: PreviewTheme) => void;
  dark: boolean;
  conflict: boolean;
  onOpenConflicts?: () => void;
}) {
  const { check, checkError, fieldErrors, busy, notice, verification, verifyError, set } = branding;
  const cssProblems = useMemo(() => (check?.errors ?? []).filter((e) => e.field === "custom_css"), [check]);
  // At their place in the editor the reason alone; below it the whole sentence, position
  // included, as the desk words it (nothing here formats a position).
  const cssMarks = useMemo(
    () => cssProblems.map((p) => ({ message: p.reason ?? p.message, line: p.line, column: p.column })),
    [cssProblems],
  );
  const warnings = useMemo(() => {
    const out: Record<string, BrandingWarning> = {};
    for (const w of check?.warnings ?? []) out[w.field] ??= w;
    return out;
  }, [check]);
  const errorCount = check?.errors.length ?? 0;
  const known = new Set<string>(FIELDS);
  const otherErrors = Object.entries(fieldErrors).filter(([field]) => !known.has(field));

  const synced = view.synced;
  const syncedDomain = domainKey(synced?.custom_domain);
  const draftDomain = domainKey(draft.custom_domain);
  const syncedVerification = synced?.custom_domain_verification ?? null;
  const shownVerification =
    draftDomain !== "" && draftDomain === syncedDomain && syncedVerification
      ? verification && verification.domain === syncedDomain
        ? later(verification.value, syncedVerification)
        : syncedVerification
      : null;

  const saveState =
    branding.saveState === "refused" && branding.saveFailure
      ? { text: `Not saved: ${branding.saveFailure.message}`, color: "red" }
      : SAVE_STATES[branding.saveState];

  return (
    <Card withBorder padding="lg" data-testid="branding-panel">
      <Stack>
        <Group justify="space-between" align="center">
          <Group gap="sm">
            <Text fw={600}>Branding</Text>
            {view.has_draft && (
              <Badge color="blue" variant="light" data-testid="branding-draft-badge">
                Draft
              </Badge>
            )}
            <Text size="sm" c={saveState.color} data-testid="branding-save-state">
              {saveState.text}
            </Text>
          </Group>
          <DraftButtons
            tab="branding"
            busy={busy}
            canDiscard={view.has_draft || branding.unsaved}
            canPublish={errorCount === 0 && (view.has_draft || branding.unsaved)}
            onDiscard={() => void branding.discard()}
            onPublish={() => void branding.publish()}
          />
        </Group>

        <DraftAlerts tab="branding" conflict={conflict} onOpenConflicts={onOpenConflicts} notice={notice} />
        {checkError && (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="branding-check-error">
            The draft could not be checked: {checkError}
          </Alert>
        )}
        {otherErrors.length > 0 && (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="branding-other-errors">
            {otherErrors.map(([field, message]) => (
              <Text key={field} size="sm">
                {field}: {message}
              </Text>
            ))}
          </Alert>
        )}

        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="xl">
          <Stack>
            <TextInput
              label="Company name"
              description="Shown on the portal's sign-in page."
              value={draft.company_name ?? ""}
              onChange={(e) => set("company_name", e.currentTarget.value)}
              error={fieldErrors.company_name}
              data-testid="branding-company"
            />

            {COLORS.map(({ field, label, testId }) => (
              <Stack key={field} gap={4}>
                <ColorInput
                  label={label}
                  placeholder="#RRGGBB"
                  format="hex"
                  fixOnBlur={false}
                  value={draft[field] ?? ""}
                  onChange={(value) => set(field, value)}
                  error={fieldErrors[field]}
                  data-testid={testId}
                />
                {warnings[field] && (
                  <ContrastWarning warning={warnings[field]} onApply={(color) => set(field, color)} />
                )}
              </Stack>
            ))}

            <ImageField
              kind="logo"
              label="Logo"
              hint="PNG, JPEG, WebP, ICO or SVG (kept as a PNG); at most 2048 px a side and 512 KiB."
              url={draft.logo_url}
              asset={view.assets.find((a) => a.kind === "logo") ?? null}
              error={fieldErrors.logo_url}
              busy={busy}
              onChoose={() => void branding.chooseImage("logo")}
              onRemove={() => void branding.clearImage("logo")}
              onUrl={(value) => set("logo_url", value)}
            />
            <ImageField
              kind="favicon"
              label="Favicon"
              hint="Square, 16 to 512 px; PNG, JPEG, WebP, ICO or a square SVG."
              url={draft.favicon_url}
              asset={view.assets.find((a) => a.kind === "favicon") ?? null}
              error={fieldErrors.favicon_url}
              busy={busy}
              onChoose={() => void branding.chooseImage("favicon")}
              onRemove={() => void branding.clearImage("favicon")}
              onUrl={(value) => set("favicon_url", value)}
            />

            <Stack gap="xs">
              <TextInput
                label="Custom domain"
                description="The portal's address for this client's users, once its DNS record is verified."
                placeholder="portal.example.com"
                value={draft.custom_domain ?? ""}
                onChange={(e) => set("custom_domain", e.currentTarget.value)}
                error={fieldErrors.custom_domain}
                data-testid="branding-domain"
              />
              {shownVerification ? (
                <VerificationCard
                  verification={shownVerification}
                  busy={busy === "verify"}
                  disabled={busy !== null}
                  error={verifyError}
                  onVerify={() => void branding.verify()}
                />
              ) : draftDomain !== "" && draftDomain === syncedDomain ? (
                <Text size="sm" c="dimmed" data-testid="branding-domain-hint">
                  The Control Panel has not sent a verification record for this domain yet: sync to fetch it.
                </Text>
              ) : draftDomain !== "" ? (
                <Text size="sm" c="dimmed" data-testid="branding-domain-hint">
                  Publish to get the TXT record for this domain.
                </Text>
              ) : null}
            </Stack>

            <Stack gap={4}>
              <Input.Label>Custom CSS</Input.Label>
              <Input.Description>
                Applies inside the portal only. No imports, remote URLs or scripts: the Control Panel refuses them.
              </Input.Description>
              <Suspense fallback={<Loader size="xs" data-testid="branding-css-loading" />}>
                <CssEditor
                  value={draft.custom_css ?? ""}
                  onChange={(value) => set("custom_css", value)}
                  problems={cssMarks}
                  dark={dark}
                  label="Custom CSS"
                  placeholder="/* e.g. .login-form { border-radius: 12px; } */"
                  testId="branding-css"
                />
              </Suspense>
              {cssProblems.length > 0 && (
                <Stack gap={2} role="list" aria-label="Custom CSS errors" data-testid="branding-css-errors">
                  {cssProblems.map((p, i) => (
                    <Text key={i} size="sm" c="red" role="listitem">
                      {p.message}
                    </Text>
                  ))}
                </Stack>
              )}
            </Stack>
          </Stack>

          {/* The preview stays in view while the long form scrolls (side by side only). */}
          <Stack gap="xs" style={{ position: "sticky", top: "var(--mantine-spacing-md)", alignSelf: "start" }}>
            <Group justify="space-between">
              <Text fw={600}>Preview</Text>
              <SegmentedControl
                size="xs"
                value={theme}
                onChange={(v) => onTheme(v as PreviewTheme)}
                data={[
                  { value: "light", label: "Light" },
                  { value: "dark", label: "Dark" },
                ]}
                aria-label="Preview theme"
                data-testid="preview-theme"
              />
            </Group>
            {preview.error && (
              <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="branding-preview-error">
                The preview could not be rendered: {preview.error.message}
              </Alert>
            )}
            <iframe
              sandbox=""
              title="Portal preview"
              srcDoc={preview.data ?? ""}
              referrerPolicy="no-referrer"
              data-testid="branding-preview"
              style={{
                width: "100%",
                height: 560,
                border: "1px solid var(--mantine-color-default-border)",
                borderRadius: "var(--mantine-radius-md)",
                background: "var(--mantine-color-body)",
              }}
            />
            <Text size="xs" c="dimmed">
              The portal's sign-in page with this draft, rendered on this desk from the Control Panel's template.
              Nothing in it runs or loads from the network.
            </Text>
          </Stack>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

function ContrastWarning({ warning, onApply }: { warning: BrandingWarning; onApply: (color: string) => void }) {
  return (
    <Alert
      color="yellow"
      variant="light"
      p="xs"
      icon={<IconAlertTriangle size={16} />}
      data-testid={`branding-warning-${warning.field}`}
    >
      <Stack gap={6} align="flex-start">
        <Text size="sm" title={warning.message}>
          Low contrast: white text on this colour reaches {formatNumber(warning.ratio, 2, true)}:1; WCAG AA
          needs {formatNumber(AA_RATIO, 1)}:1.
        </Text>
        {warning.suggestion && (
          <Button
            size="compact-xs"
            variant="light"
            color="yellow"
            onClick={() => onApply(warning.suggestion as string)}
            leftSection={<ColorDot color={warning.suggestion} />}
            data-testid={`branding-suggest-${warning.field}`}
          >
            Use {warning.suggestion}, the nearest shade that passes
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

function ColorDot({ color }: { color: string }) {
  return (
    <span
      aria-hidden
      style={{ display: "inline-block", width: 10, height: 10, borderRadius: 5, background: color, border: "1px solid rgba(0,0,0,.3)" }}
    />
  );
}

function ImageField({
  kind,
  label,
  hint,
  url,
  asset,
  error,
  busy,
  onChoose,
  onRemove,
  onUrl,
}: {
  kind: AssetKind;
  label: string;
  hint: string;
  url: string | null;
  asset: PendingAsset | null;
  error: string | undefined;
  busy: Busy;
  onChoose: () => void;
  onRemove: () => void;
  onUrl: (value: string) => void;
}) {
  return (
    <Stack gap={6} data-testid={`branding-${kind}`}>
      <Input.Label>{label}</Input.Label>
      <Group gap="sm" align="center" wrap="nowrap">
        <ThumbnailBox>
          {asset ? (
            <img
              src={asset.data_url}
              alt={`${label} chosen on this desk`}
              style={{ maxWidth: "100%", maxHeight: "100%", objectFit: "contain" }}
              data-testid={`branding-${kind}-thumb`}
            />
          ) : (
            <IconPhoto size={20} stroke={1.5} color="var(--mantine-color-dimmed)" />
          )}
        </ThumbnailBox>
        <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
          {asset ? (
            <Text size="sm" data-testid={`branding-${kind}-size`}>
              {asset.width} × {asset.height} px · {formatBytes(asset.size_bytes)} · not uploaded yet (publishing uploads it)
            </Text>
          ) : url ? (
            <Text size="sm" c="dimmed" truncate="end" data-testid={`branding-${kind}-remote`}>
              From {url} (not loaded in the app)
            </Text>
          ) : (
            <Text size="sm" c="dimmed">
              None
            </Text>
          )}
          <Input.Description>{hint}</Input.Description>
          <Group gap="xs" mt={4}>
            <Button
              size="xs"
              variant="default"
              onClick={onChoose}
              disabled={busy !== null}
              loading={busy === kind}
              data-testid={`branding-${kind}-choose`}
            >
              Choose file…
            </Button>
            <Button
              size="xs"
              variant="subtle"
              color="red"
              leftSection={<IconTrash size={14} />}
              onClick={onRemove}
              disabled={busy !== null || (asset === null && !url)}
              data-testid={`branding-${kind}-remove`}
            >
              Remove
            </Button>
          </Group>
        </Stack>
      </Group>
      {asset === null ? (
        <TextInput
          aria-label={`${label} URL`}
          placeholder="or an https:// URL"
          size="xs"
          value={url ?? ""}
          onChange={(e) => onUrl(e.currentTarget.value)}
          error={error}
          data-testid={`branding-${kind}-url`}
        />
      ) : (
        error && (
          <Text size="xs" c="red">
            {error}
          </Text>
        )
      )}
    </Stack>
  );
}

function ThumbnailBox({ children }: { children: ReactNode }) {
  return (
    <div
      style={{
        width: 96,
        height: 56,
        flex: "none",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        border: "1px solid var(--mantine-color-default-border)",
        borderRadius: "var(--mantine-radius-sm)",
        // Mid-grey squares: a white logo (for a dark header) and a dark one both show.
        background: "repeating-conic-gradient(#9aa0a6 0% 25%, #c8ccd0 0% 50%) 50% / 12px 12px",
        overflow: "hidden",
      }}
    >
      {children}
    </div>
  );
}

function VerificationCard({
  verification,
  busy,
  disabled,
  error,
  onVerify,
}: {
  verification: DomainVerification;
  busy: boolean;
  disabled: boolean;
  error: string | null;
  onVerify: () => void;
}) {
  const status = STATUS[verification.status];
  return (
    <Card withBorder padding="sm" data-testid="branding-verification">
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Text size="sm" fw={500}>
              Domain verification
            </Text>
            <Badge color={status.color} variant="light" data-testid="branding-verification-status">
              {status.label}
            </Badge>
          </Group>
          <Button size="xs" variant="light" onClick={onVerify} loading={busy} disabled={disabled} data-testid="branding-verify">
            Verify
          </Button>
        </Group>
        {verification.reason && (
          <Text
            size="sm"
            c={verification.status === "failed" ? "red" : "orange"}
            data-testid="branding-verification-reason"
          >
            {verification.reason}
          </Text>
        )}
        {verification.status !== "verified" && (
          <Text size="sm">Create this TXT record at the domain's DNS provider, then verify:</Text>
        )}
        <RecordLine label="Name" value={verification.record_name} testId="branding-record-name" />
        <RecordLine label="Value" value={verification.record_value} testId="branding-record-value" />
        <Text size="xs" c="dimmed" data-testid="branding-checked-at">
          {verification.checked_at ? (
            <span title={formatDateTime(verification.checked_at)}>
              Checked {formatRelative(verification.checked_at)} ({formatDateTime(verification.checked_at)})
            </span>
          ) : (
            "Not checked yet"
          )}
        </Text>
        {error && (
          <Alert color="gray" icon={<IconAlertTriangle size={16} />} p="xs" data-testid="branding-verify-error">
            {error}
          </Alert>
        )}
      </Stack>
    </Card>
  );
}

function RecordLine({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="xs" c="dimmed" w={40}>
        {label}
      </Text>
      <Code style={{ flex: 1, minWidth: 0, overflowWrap: "anywhere" }} data-testid={testId}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? "Copied" : `Copy the ${label.toLowerCase()}`} withArrow>
            <ActionIcon
              variant="subtle"
              color={copied ? "green" : "gray"}
              onClick={copy}
              aria-label={`Copy the record ${label.toLowerCase()}`}
              data-testid={`${testId}-copy`}
            >
              {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
