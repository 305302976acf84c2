import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { PLANS } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { AddClientDialog } from "./AddClientDialog";

async function openDialog(handlers: Record<string, unknown>) {
  const ipc = mockCommands({ plans: PLANS, ...handlers });
  const onDone = vi.fn();
  const user = userEvent.setup();
  renderApp(<AddClientDialog opened onClose={vi.fn()} onDone={onDone} />);
  await waitFor(() => expect(screen.getByTestId("add-client-quota-max_servers")).toHaveValue("5"));
  return { ipc, onDone, user };
}

describe("Add Client dialog", () => {
  it("prefills the quotas from the chosen plan", async () => {
    const { user } = await openDialog({});
    expect(screen.getByTestId("add-client-quota-max_users")).toHaveValue("10");
    expect(screen.getByTestId("add-client-unlimited-max_apps_per_server")).not.toBeChecked();

    await user.click(screen.getByTestId("add-client-plan"));
    await user.click(await screen.findByRole("option", { name: /^Pro/ }));
    await waitFor(() => expect(screen.getByTestId("add-client-quota-max_servers")).toHaveValue("20"));
    expect(screen.getByTestId("add-client-quota-storage_quota_gb")).toHaveValue("500");
    expect(screen.getByTestId("add-client-unlimited-max_apps_per_server")).toBeChecked();
    expect(screen.getByTestId("add-client-quota-max_apps_per_server")).toBeDisabled();
  });

  it("sends null for a quota switched to unlimited", async () => {
    const client = { id: "n1", company_name: "Newco" };
    const { ipc, onDone, user } = await openDialog({ create_client: { status: "created", client } });
    await user.type(screen.getByTestId("add-client-name"), "Newco");
    await user.type(screen.getByTestId("add-client-email"), "it@newco.example");
    await user.click(screen.getByTestId("add-client-unlimited-max_users"));
    await user.clear(screen.getByTestId("add-client-quota-max_servers"));
    await user.type(screen.getByTestId("add-client-quota-max_servers"), "7");
    await user.click(screen.getByTestId("add-client-submit"));

    await waitFor(() => expect(onDone).toHaveBeenCalledWith({ status: "created", client }));
    expect(ipc.argsOf("create_client")).toEqual([
      {
        body: {
          company_name: "Newco",
          contact_email: "it@newco.example",
          plan_id: "basic",
          quotas: { max_servers: 7, max_users: null, max_apps_per_server: 20, storage_quota_gb: 100 },
        },
      },
    ]);
  });

  it("shows the server's validation messages under the inputs, word for word", async () => {
    const { onDone, user } = await openDialog({
      create_client: () => {
        throw {
          code: "validation",
          message: "Some fields need attention.",
          fields: [
            { field: "company_name", message: "company_name must not be empty" },
            { field: "contact_email", message: "contact_email is not a valid e-mail address" },
            { field: "quotas.max_servers", message: "quotas.max_servers must be at most 10000" },
          ],
        };
      },
    });
    await user.type(screen.getByTestId("add-client-email"), "nope");
    await user.click(screen.getByTestId("add-client-submit"));

    expect(await screen.findByText("company_name must not be empty")).toBeInTheDocument();
    expect(screen.getByTestId("add-client-name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("add-client-name")).toHaveAccessibleDescription("company_name must not be empty");
    expect(screen.getByTestId("add-client-email")).toHaveAccessibleDescription(
      "contact_email is not a valid e-mail address",
    );
    expect(screen.getByTestId("add-client-quota-max_servers")).toHaveAccessibleDescription(
      "quotas.max_servers must be at most 10000",
    );
    expect(screen.queryByTestId("add-client-error")).not.toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });

  it("shows other refusals in an alert", async () => {
    const { user } = await openDialog({
      create_client: () => {
        throw { code: "quota_exceeded", message: "Your MSP licence allows no more clients." };
      },
    });
    await user.type(screen.getByTestId("add-client-name"), "Newco");
    await user.type(screen.getByTestId("add-client-email"), "it@newco.example");
    await user.click(screen.getByTestId("add-client-submit"));
    expect(await screen.findByTestId("add-client-error")).toHaveTextContent("Your MSP licence allows no more clients.");
  });

  it("shows the plans' error with a retry", async () => {
    let attempts = 0;
    mockCommands({
      plans: () => {
        attempts += 1;
        if (attempts === 1) throw { code: "internal", message: "Plans could not be read." };
        return PLANS;
      },
    });
    const user = userEvent.setup();
    renderApp(<AddClientDialog opened onClose={vi.fn()} onDone={vi.fn()} />);
    expect(await screen.findByTestId("add-client-plans-error")).toHaveTextContent("Plans could not be read.");
    await user.click(screen.getByTestId("add-client-plans-retry"));
    await waitFor(() => expect(screen.getByTestId("add-client-quota-max_servers")).toHaveValue("5"));
  });
});
