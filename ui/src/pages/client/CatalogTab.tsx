// The App Catalog tab of a client: all apps (new ones included) or a custom list; every change is
// saved at once as a draft; the change since the last sync is shown before publishing.
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useMemo, useState } from "react";

import { commands, errorMessage } from "../../api/commands";
import type { CatalogChange } from "../../bindings/CatalogChange";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { TemplateInfo } from "../../bindings/TemplateInfo";
import type { UpdateCatalog } from "../../bindings/UpdateCatalog";
import { CommandResult } from "../../components/CommandResult";
import { DraftAlerts, DraftButtons, discardedNotice, publishedNotice, type Notice } from "../../components/DraftActions";
import { formatNumber } from "../../format";
import { useCommand } from "../../hooks/useCommand";

const NO_TEMPLATES: TemplateInfo[] = [];

/** The ids of the apps a catalog allows (in mode all, every app of the library). */
export function allowedApps(catalog: UpdateCatalog, templates: TemplateInfo[]): Set<string> {
  if (catalog.mode === "all") return new Set(templates.map((t) => t.id));
  return new Set(catalog.enabled);
}

export function CatalogTab({
  detail,
  onChanged,
  onOpenConflicts,
}: {
  detail: ClientDetail;
  onChanged: () => void;
  onOpenConflicts?: () => void;
}) {
  const id = detail.client.id;
  const templates = useCommand(() => commands.templates(), []);
  const [catalog, setCatalog] = useState<UpdateCatalog>(detail.catalog);
  const [search, setSearch] = useState("");
  const [category, setCategory] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const hasDraft = detail.drafts.some((d) => d.kind === "catalog");
  const conflict = detail.conflicts.some((c) => c.kind === "catalog");

  // The catalog as loaded before the first change of this session: what a publish changes.
  const [baseline, setBaseline] = useState<{ catalog: UpdateCatalog; hadDraft: boolean }>({
    catalog: detail.catalog,
    hadDraft: hasDraft,
  });

  // Follow the stored catalog when it changes (after a change, a publish, a discard or a sync).
  const stored = JSON.stringify(detail.catalog);
  const [followed, setFollowed] = useState({ stored, hasDraft });
  if (followed.stored !== stored || followed.hasDraft !== hasDraft) {
    setFollowed({ stored, hasDraft });
    setCatalog(detail.catalog);
    if (!hasDraft) setBaseline({ catalog: detail.catalog, hadDraft: false });
  }

  const all = templates.data ?? NO_TEMPLATES;
  const categories = useMemo(() => [...new Set(all.map((t) => t.category))].sort(), [all]);
  const filtered = useMemo(() => {
    const q = search.trim().toLowerCase();
    return all.filter(
      (t) =>
        (category === null || t.category === category) &&
        (q === "" || t.name.toLowerCase().includes(q) || t.description.toLowerCase().includes(q) || t.id.includes(q)),
    );
  }, [all, search, category]);
  const allowed = allowedApps(catalog, all);
  const before = allowedApps(baseline.catalog, all);
  const added = all.filter((t) => allowed.has(t.id) && !before.has(t.id));
  const removed = all.filter((t) => !allowed.has(t.id) && before.has(t.id));
  const modeChanged = catalog.mode !== baseline.catalog.mode;

  async function change(what: CatalogChange, key: string) {
    setNotice(null);
    setBusy(key);
    try {
      const next = await commands.draftCatalog(id, what);
      setCatalog(next);
      onChanged();
    } catch (e) {
      setNotice({ color: "red", text: errorMessage(e), testId: "catalog-error" });
    } finally {
      setBusy(null);
    }
  }

  async function publishOrDiscard(action: "publish" | "discard") {
    setNotice(null);
    setBusy(action);
    try {
      if (action === "discard") {
        await commands.discardDraft(id, "catalog");
        setNotice(discardedNotice("catalog"));
      } else {
        setNotice(publishedNotice("catalog", await commands.publishDraft(id, "catalog")));
      }
      onChanged();
    } catch (e) {
      setNotice({ color: "red", text: errorMessage(e), testId: "catalog-error" });
    } finally {
      setBusy(null);
    }
  }

  const names = (list: TemplateInfo[]) => list.map((t) => t.name).join(", ");
  const filteredIds = filtered.map((t) => t.id);

  return (
    <Card withBorder padding="lg" data-testid="catalog-panel">
      <Stack>
        <Group justify="space-between" align="center">
          <Group gap="sm">
            <Text fw={600}>App Catalog</Text>
            {hasDraft && (
              <Badge color="blue" variant="light" data-testid="catalog-draft-badge">
                Draft not yet published
              </Badge>
            )}
          </Group>
          <DraftButtons
            tab="catalog"
            busy={busy}
            canDiscard={hasDraft}
            canPublish={hasDraft}
            onDiscard={() => void publishOrDiscard("discard")}
            onPublish={() => void publishOrDiscard("publish")}
          />
        </Group>

        <DraftAlerts tab="catalog" conflict={conflict} onOpenConflicts={onOpenConflicts} notice={notice} />
        {/* What publishing would change, above the list it summarises (the list is long). */}
        {templates.data && (
          <Alert color={added.length + removed.length > 0 || modeChanged ? "blue" : "gray"} variant="light" data-testid="catalog-diff">
            {added.length + removed.length === 0 && !modeChanged ? (
              <Text size="sm">No change to the apps allowed since the last sync{baseline.hadDraft ? " (and the draft already saved)" : ""}.</Text>
            ) : (
              <Stack gap={4}>
                <Text size="sm" fw={500}>
                  Publishing changes this client's catalog since the last sync
                  {baseline.hadDraft ? " (and the draft already saved)" : ""}:
                </Text>
                {modeChanged && (
                  <Text size="sm" data-testid="catalog-diff-mode">
                    Mode: {catalog.mode === "all" ? "all apps, new ones included" : "custom list"}
                  </Text>
                )}
                {added.length > 0 && (
                  <Text size="sm" c="green.8" data-testid="catalog-diff-added">
                    Added ({added.length}): {names(added)}
                  </Text>
                )}
                {removed.length > 0 && (
                  <Text size="sm" c="red.8" data-testid="catalog-diff-removed">
                    Removed ({removed.length}): {names(removed)}
                  </Text>
                )}
              </Stack>
            )}
          </Alert>
        )}

        <SegmentedControl
          value={catalog.mode === "all" ? "all" : "custom"}
          onChange={(v) => {
            if (v !== catalog.mode) void change({ change: "set_mode", value: v as "all" | "custom" }, "mode");
          }}
          disabled={busy !== null}
          data={[
            { value: "all", label: <span data-testid="catalog-mode-all">All apps, new ones included</span> },
            { value: "custom", label: <span data-testid="catalog-mode-custom">Custom list</span> },
          ]}
          aria-label="Catalog mode"
          data-testid="catalog-mode"
        />
        <Text size="xs" c="dimmed">
          {catalog.mode === "all"
            ? "This client can install every app of the library, including apps added later. Turning an app off switches to a custom list."
            : `Only the ${allowed.size} apps turned on below can be installed; apps added to the library later are not.`}
        </Text>

        <CommandResult
          command={templates}
          testId="catalog"
          errorTestId="catalog-load-error"
          loading="Loading the app library…"
          failure="Could not load the app library"
        >
          {() => (
            <>
              <Group align="flex-end">
                <TextInput
                  label="Search"
                  placeholder="App name"
                  leftSection={<IconSearch size={14} />}
                  value={search}
                  onChange={(e) => setSearch(e.currentTarget.value)}
                  data-testid="catalog-search"
                  style={{ flex: 1 }}
                />
                <Select
                  label="Category"
                  placeholder="All categories"
                  data={categories}
                  value={category}
                  onChange={setCategory}
                  clearable
                  data-testid="catalog-category"
                />
                <Button
                  variant="default"
                  onClick={() => void change({ change: "enable", value: filteredIds }, "enable-all")}
                  disabled={busy !== null || filtered.every((t) => allowed.has(t.id))}
                  loading={busy === "enable-all"}
                  data-testid="catalog-enable-all"
                >
                  Enable all{filtered.length !== all.length ? ` (${filtered.length})` : ""}
                </Button>
                <Button
                  variant="default"
                  onClick={() => void change({ change: "disable", value: filteredIds }, "disable-all")}
                  disabled={busy !== null || filtered.every((t) => !allowed.has(t.id))}
                  loading={busy === "disable-all"}
                  data-testid="catalog-disable-all"
                >
                  Disable all{filtered.length !== all.length ? ` (${filtered.length})` : ""}
                </Button>
              </Group>
  
              {all.length === 0 ? (
                <Text c="dimmed" py="md" data-testid="catalog-empty">
                  The app library is empty. Sync to load it from the Control Panel.
                </Text>
              ) : filtered.length === 0 ? (
                <Text c="dimmed" py="md" data-testid="catalog-no-match">
                  No app matches the search.
                </Text>
              ) : (
                <Table.ScrollContainer minWidth={560}>
                  <Table striped data-testid="catalog-table">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th w={80}>Allowed</Table.Th>
                        <Table.Th>App</Table.Th>
                        <Table.Th>Category</Table.Th>
                        <Table.Th ta="right">Size (MB)</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {filtered.map((t) => {
                        const on = allowed.has(t.id);
                        return (
                          <Table.Tr key={t.id} data-testid={`catalog-row-${t.id}`}>
                            <Table.Td>
                              <Switch
                                checked={on}
                                disabled={busy !== null}
                                onChange={() =>
                                  void change({ change: on ? "disable" : "enable", value: [t.id] }, `toggle-${t.id}`)
                                }
                                aria-label={`Allow ${t.name}`}
                                data-testid={`catalog-toggle-${t.id}`}
                              />
                            </Table.Td>
                            <Table.Td>
                              <Text size="sm" fw={500}>
                                {t.name}
                              </Text>
                              <Text size="xs" c="dimmed">
                                {t.description}
                              </Text>
                            </Table.Td>
                            <Table.Td>{t.category}</Table.Td>
                            <Table.Td ta="right">{formatNumber(t.size_mb, 1)}</Table.Td>
                          </Table.Tr>
                        );
                      })}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
  
            </>
          )}
        </CommandResult>
      </Stack>
    </Card>
  );
}
