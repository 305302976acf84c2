import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { emit } from "@tauri-apps/api/event";
import { beforeEach, describe, expect, it } from "vitest";

import { App } from "./App";
import { ACCOUNT, ROWS, SUMMARY } from "./test/fixtures";
import { mockCommands } from "./test/ipc";
import { renderApp } from "./test/render";

const SIGNED_IN = {
  session: ACCOUNT,
  list_clients: ROWS,
  queued_clients: [],
  app_info: { name: "MSP Desk", version: "1.2.3", data_dir: "/d", log_dir: "/d/logs" },
};

beforeEach(() => localStorage.clear());

describe("app shell", () => {
  it("opens on the client list with the seed's navigation", async () => {
    mockCommands(SIGNED_IN);
    renderApp(<App />);
    expect(await screen.findByTestId("page-clients")).toBeInTheDocument();
    const sidebar = screen.getByTestId("sidebar");
    expect(sidebar).toHaveTextContent("MSP");
    expect(screen.getByTestId("app-title")).toHaveTextContent("MSP Desk");
    expect(screen.getByTestId("nav-clients")).toHaveTextContent("Clients");
    expect(screen.getByTestId("nav-billing")).toHaveTextContent("Billing");
    expect(screen.getByTestId("nav-settings")).toHaveTextContent("Settings");
    expect(screen.getByTestId("nav-clients")).toHaveAttribute("data-active", "true");
    expect(screen.getByTestId("status-bar")).toBeInTheDocument();
  });

  it("navigates between Clients, Billing and Settings", async () => {
    mockCommands(SIGNED_IN);
    const user = userEvent.setup();
    renderApp(<App />);

    await user.click(await screen.findByTestId("nav-billing"));
    expect(screen.getByTestId("page-billing")).toBeInTheDocument();
    expect(screen.queryByTestId("page-clients")).not.toBeInTheDocument();
    expect(screen.getByTestId("nav-billing")).toHaveAttribute("data-active", "true");
    expect(screen.getByTestId("nav-clients")).not.toHaveAttribute("data-active");

    await user.click(screen.getByTestId("nav-settings"));
    expect(screen.getByTestId("page-settings")).toBeInTheDocument();
    expect(await screen.findByTestId("about-version")).toHaveTextContent("1.2.3");

    await user.click(screen.getByTestId("nav-clients"));
    expect(screen.getByTestId("page-clients")).toBeInTheDocument();
  });

  it("sends unknown routes to the client list", async () => {
    mockCommands(SIGNED_IN);
    renderApp(<App />, "/no/such/page");
    expect(await screen.findByTestId("page-clients")).toBeInTheDocument();
  });
});

describe("session", () => {
  it("shows the sign-in screen without a session, then the client list after sign-in and first sync", async () => {
    let signedIn = false;
    const ipc = mockCommands({
      ...SIGNED_IN,
      session: () => (signedIn ? ACCOUNT : null),
      default_server: "https://cp.example.com",
      sign_in: () => {
        signedIn = true;
        return ACCOUNT;
      },
      sync_now: SUMMARY,
    });
    const user = userEvent.setup();
    renderApp(<App />);
    expect(await screen.findByTestId("page-signin")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("signin-server")).toHaveValue("https://cp.example.com"));
    await user.type(screen.getByTestId("signin-email"), "ops@msp.example");
    await user.type(screen.getByTestId("signin-password"), "secret");
    await user.click(screen.getByTestId("signin-submit"));

    expect(await screen.findByTestId("page-clients")).toBeInTheDocument();
    expect(await screen.findByTestId("client-row-acme")).toBeInTheDocument();
    expect(screen.getByTestId("status-online")).toBeInTheDocument();
    expect(ipc.argsOf("sync_now")).toHaveLength(1);
  });

  it("goes back to sign-in when the session expires", async () => {
    mockCommands({ ...SIGNED_IN, default_server: null });
    renderApp(<App />);
    await screen.findByTestId("page-clients");
    await waitFor(async () => {
      await emit("session-expired");
      expect(screen.getByTestId("page-signin")).toBeInTheDocument();
    });
  });

  it("signs out from Settings", async () => {
    const ipc = mockCommands({ ...SIGNED_IN, sign_out: null, default_server: null, unsent_work: null });
    const user = userEvent.setup();
    renderApp(<App />, "/settings");
    expect(await screen.findByTestId("account-server")).toHaveTextContent("https://cp.example.com");
    expect(screen.getByTestId("account-email")).toHaveTextContent("ops@msp.example");
    await user.click(screen.getByTestId("sign-out"));
    expect(await screen.findByTestId("page-signin")).toBeInTheDocument();
    expect(ipc.argsOf("sign_out")).toHaveLength(1);
  });
});
