import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import type { ClientDetail } from "../../bindings/ClientDetail";
import type { TemplateInfo } from "../../bindings/TemplateInfo";
import type { UpdateCatalog } from "../../bindings/UpdateCatalog";
import { PLANS, ROWS, detail } from "../../test/fixtures";
import { mockCommands } from "../../test/ipc";
import { renderApp } from "../../test/render";
import { ClientPage } from "../ClientPage";

const TEMPLATES: TemplateInfo[] = [
  { id: "nextcloud", name: "Nextcloud", category: "Productivity", description: "Files and sharing", size_mb: 900 },
  { id: "wordpress", name: "WordPress", category: "Web", description: "Blogs and sites", size_mb: 300 },
  { id: "gitea", name: "Gitea", category: "Development", description: "Git hosting", size_mb: 120 },
];

const CATALOG_DRAFT = { kind: "catalog" as const, client: "acme", body: null, base_version: 3, updated_at: "2026-11-28T00:00:00Z" };

/** A desk whose draft_catalog behaves like the Rust side's. */
function desk(initial: UpdateCatalog, extra: Record<string, unknown> = {}) {
  let catalog = initial;
  let drafted = false;
  const current = (): ClientDetail => detail({ catalog, drafts: drafted ? [CATALOG_DRAFT] : [] });
  const ipc = mockCommands({
    client_detail: () => current(),
    list_clients: ROWS,
    plans: PLANS,
    templates: TEMPLATES,
    draft_catalog: (args: Record<string, unknown>) => {
      const change = args.change as { change: string; value: unknown };
      if (change.change === "set_mode") {
        catalog = { ...catalog, mode: change.value as string };
      } else {
        const ids = change.value as string[];
        let enabled = catalog.mode === "all" ? TEMPLATES.map((t) => t.id) : catalog.enabled;
        enabled = enabled.filter((e) => !ids.includes(e));
        if (change.change === "enable") enabled = [...enabled, ...ids];
        catalog = { mode: "custom", enabled };
      }
      drafted = true;
      return catalog;
    },
    ...extra,
  });
  return ipc;
}

function renderCatalog() {
  renderApp(
    <Routes>
      <Route path="/clients/:id" element={<ClientPage />} />
    </Routes>,
    "/clients/acme",
  );
}

async function openTab() {
  const user = userEvent.setup();
  renderCatalog();
  await user.click(await screen.findByTestId("tab-catalog"));
  await screen.findByTestId("catalog-table");
  return user;
}

describe("app catalog", () => {
  it("shows every app allowed in mode all; a toggle disables that app as a draft", async () => {
    const ipc = desk({ mode: "all", enabled: [] });
    const user = await openTab();
    for (const t of TEMPLATES) expect(screen.getByTestId(`catalog-toggle-${t.id}`)).toBeChecked();
    expect(screen.queryByTestId("catalog-draft-badge")).not.toBeInTheDocument();
    expect(screen.getByTestId("catalog-publish")).toBeDisabled();

    await user.click(screen.getByTestId("catalog-toggle-wordpress"));
    await waitFor(() =>
      expect(ipc.argsOf("draft_catalog")).toEqual([{ id: "acme", change: { change: "disable", value: ["wordpress"] } }]),
    );
    await waitFor(() => expect(screen.getByTestId("catalog-toggle-wordpress")).not.toBeChecked());
    expect(await screen.findByTestId("catalog-draft-badge")).toBeInTheDocument();
    expect(screen.getByTestId("catalog-diff-removed")).toHaveTextContent("WordPress");
    expect(screen.getByTestId("catalog-diff")).toHaveTextContent("since the last sync");

    await user.click(screen.getByTestId("catalog-toggle-wordpress"));
    await waitFor(() =>
      expect(ipc.lastArgsOf("draft_catalog")).toEqual({ id: "acme", change: { change: "enable", value: ["wordpress"] } }),
    );
  });

  it("switches the mode with set_mode", async () => {
    const ipc = desk({ mode: "custom", enabled: ["gitea"] });
    const user = await openTab();
    expect(screen.getByTestId("catalog-toggle-gitea")).toBeChecked();
    expect(screen.getByTestId("catalog-toggle-nextcloud")).not.toBeChecked();
    await user.click(screen.getByTestId("catalog-mode-all"));
    await waitFor(() =>
      expect(ipc.argsOf("draft_catalog")).toEqual([{ id: "acme", change: { change: "set_mode", value: "all" } }]),
    );
    // Now every app is allowed: two are added compared with the last sync.
    const diff = await screen.findByTestId("catalog-diff-added");
    expect(diff).toHaveTextContent("Nextcloud");
    expect(diff).toHaveTextContent("WordPress");
    expect(diff).not.toHaveTextContent("Gitea");
  });

  it("enables all the apps the search and category filters show", async () => {
    const ipc = desk({ mode: "custom", enabled: [] });
    const user = await openTab();
    await user.type(screen.getByTestId("catalog-search"), "word");
    expect(screen.queryByTestId("catalog-row-nextcloud")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("catalog-enable-all"));
    await waitFor(() =>
      expect(ipc.argsOf("draft_catalog")).toEqual([{ id: "acme", change: { change: "enable", value: ["wordpress"] } }]),
    );
    await user.clear(screen.getByTestId("catalog-search"));
    await user.click(screen.getByTestId("catalog-category"));
    await user.click(await screen.findByRole("option", { name: "Development" }));
    expect(screen.getAllByTestId(/^catalog-row-/)).toHaveLength(1);
    await user.click(screen.getByTestId("catalog-enable-all"));
    await waitFor(() =>
      expect(ipc.lastArgsOf("draft_catalog")).toEqual({ id: "acme", change: { change: "enable", value: ["gitea"] } }),
    );
    const added = await screen.findByTestId("catalog-diff-added");
    await waitFor(() => expect(added).toHaveTextContent("WordPress, Gitea"));
    expect(screen.queryByTestId("catalog-diff-removed")).not.toBeInTheDocument();
  });

  it("publishes with kind catalog, shows a conflict as a warning, and discards", async () => {
    let outcome = "published";
    const ipc = mockCommands({
      client_detail: () => detail({ catalog: { mode: "custom", enabled: ["gitea"] }, drafts: [CATALOG_DRAFT] }),
      list_clients: ROWS,
      templates: TEMPLATES,
      publish_draft: () => outcome,
      discard_draft: null,
    });
    const user = await openTab();
    expect(screen.getByTestId("catalog-draft-badge")).toBeInTheDocument();
    await user.click(screen.getByTestId("catalog-publish"));
    expect(await screen.findByTestId("catalog-published")).toBeInTheDocument();
    expect(ipc.argsOf("publish_draft")).toEqual([{ id: "acme", kind: "catalog" }]);

    outcome = "conflict";
    await user.click(screen.getByTestId("catalog-publish"));
    expect(await screen.findByTestId("catalog-conflict")).toHaveTextContent(/not published/);

    await user.click(screen.getByTestId("catalog-discard"));
    await waitFor(() => expect(ipc.argsOf("discard_draft")).toEqual([{ id: "acme", kind: "catalog" }]));
  });

  it("shows a change's error and the library's load error", async () => {
    mockCommands({
      client_detail: () => detail(),
      list_clients: ROWS,
      templates: () => {
        throw { code: "internal", message: "The library is unreadable." };
      },
    });
    const user = userEvent.setup();
    renderCatalog();
    await user.click(await screen.findByTestId("tab-catalog"));
    const error = await screen.findByTestId("catalog-load-error");
    expect(within(error).getByText("The library is unreadable.")).toBeInTheDocument();
    expect(screen.getByTestId("catalog-retry")).toBeInTheDocument();
  });
});
