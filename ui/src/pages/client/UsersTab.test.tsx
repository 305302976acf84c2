import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import type { User } from "../../bindings/User";
import { PLANS, ROWS, detail } from "../../test/fixtures";
import { mockCommands } from "../../test/ipc";
import { renderApp } from "../../test/render";
import { ClientPage } from "../ClientPage";

const USERS: User[] = [
  { id: "u1", email: "ann@acme.example", name: "Ann", created_at: "2026-01-03T00:00:00Z", state: "active", invitation_expires_at: null },
  { id: "u2", email: "bo@acme.example", name: "Bo", created_at: "2026-01-04T00:00:00Z", state: "none", invitation_expires_at: null },
];

async function openUsers(extra: Record<string, unknown>) {
  const ipc = mockCommands({
    client_detail: () => detail({ users: USERS }),
    list_clients: ROWS,
    plans: PLANS,
    ...extra,
  });
  const user = userEvent.setup();
  renderApp(
    <Routes>
      <Route path="/clients/:id" element={<ClientPage />} />
    </Routes>,
    "/clients/acme",
  );
  await user.click(await screen.findByTestId("tab-users"));
  await screen.findByTestId("users-table");
  return { ipc, user };
}

describe("users tab", () => {
  it("shows each user's portal state and hands out a one-time link to copy", async () => {
    const { ipc, user } = await openUsers({
      invite_user: {
        user_id: "u2",
        url: "https://portal.acme.example/portal/acme/invitation/abc",
        expires_at: "2026-12-02T10:00:00Z",
      },
    });
    expect(screen.getByTestId("user-state-u1")).toHaveTextContent("Active");
    expect(screen.getByTestId("user-state-u2")).toHaveTextContent("No access");
    expect(screen.getByTestId("user-invite-u1")).toHaveTextContent("Reset link");

    await user.click(screen.getByTestId("user-invite-u2"));
    await waitFor(() => expect(ipc.argsOf("invite_user")).toEqual([{ id: "acme", user: "u2" }]));
    expect(await screen.findByTestId("users-invitation-url")).toHaveTextContent(
      "https://portal.acme.example/portal/acme/invitation/abc",
    );
    expect(screen.getByTestId("users-invitation")).toHaveTextContent("bo@acme.example");
    expect(screen.getByTestId("users-invitation-copy")).toBeInTheDocument();
  });

  it("says why when the link cannot be made (offline)", async () => {
    const { user } = await openUsers({
      invite_user: () => {
        throw { code: "offline", message: "The Control Panel cannot be reached." };
      },
    });
    await user.click(screen.getByTestId("user-invite-u2"));
    expect(await screen.findByTestId("users-invite-error")).toHaveTextContent("cannot be reached");
    expect(screen.queryByTestId("users-invitation")).not.toBeInTheDocument();
  });

  it("clears an active user's sign-in lock", async () => {
    const { ipc, user } = await openUsers({ clear_sign_in_lock: null });
    // Only an active user has a password to be locked out of.
    expect(screen.queryByTestId("user-unlock-u2")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("user-unlock-u1"));
    await waitFor(() => expect(ipc.argsOf("clear_sign_in_lock")).toEqual([{ id: "acme", user: "u1" }]));
    expect(await screen.findByTestId("users-unlocked")).toHaveTextContent("ann@acme.example can sign in");
  });
});
