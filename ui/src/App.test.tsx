import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";

import { App } from "./App";
import { renderApp } from "./test/render";

describe("app shell", () => {
  it("opens on the client list with the seed's navigation", () => {
    renderApp(<App />);
    expect(screen.getByTestId("page-clients")).toBeInTheDocument();
    const sidebar = screen.getByTestId("sidebar");
    expect(sidebar).toHaveTextContent("MSP");
    expect(screen.getByTestId("nav-clients")).toHaveTextContent("Clients");
    expect(screen.getByTestId("nav-billing")).toHaveTextContent("Billing");
    expect(screen.getByTestId("nav-settings")).toHaveTextContent("Settings");
    expect(screen.getByTestId("nav-clients")).toHaveAttribute("data-active", "true");
  });

  it("navigates between Clients, Billing and Settings", async () => {
    mockIPC(() => ({ name: "MSP Desk", version: "1.2.3", data_dir: "/d", log_dir: "/d/logs" }));
    const user = userEvent.setup();
    renderApp(<App />);

    await user.click(screen.getByTestId("nav-billing"));
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

  it("sends unknown routes to the client list", () => {
    renderApp(<App />, "/no/such/page");
    expect(screen.getByTestId("page-clients")).toBeInTheDocument();
  });
});
