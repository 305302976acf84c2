import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";

import { CommandError, commands } from "./commands";

describe("command wrappers", () => {
  it("turn an IpcError into a CommandError with its code", async () => {
    mockIPC(() => {
      throw { code: "internal", message: "Disk full." };
    });
    const error = await commands.appInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe("internal");
    expect((error as CommandError).message).toBe("Disk full.");
  });

  it("take a code this UI does not know as internal, keeping the message", async () => {
    mockIPC(() => {
      throw { code: "melted", message: "The desk melted." };
    });
    const error = (await commands.appInfo().catch((e: unknown) => e)) as CommandError;
    expect(error.code).toBe("internal");
    expect(error.message).toBe("The desk melted.");
  });

  it("report anything else as a transport failure", async () => {
    mockIPC(() => {
      throw "boom";
    });
    const error = (await commands.appInfo().catch((e: unknown) => e)) as CommandError;
    expect(error.code).toBe("internal");
    expect(error.message).toContain("boom");
  });
});

describe("command arguments", () => {
  it("carry validation fields and pass arguments by camelCase name", async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      if (cmd === "create_client") {
        throw {
          code: "validation",
          message: "Some fields are not valid.",
          fields: [{ field: "company_name", message: "Enter a company name." }],
        };
      }
      return null;
    });
    const error = (await commands
      .createClient({ company_name: "", contact_email: "a@b.c", plan_id: "p", quotas: null })
      .catch((e: unknown) => e)) as CommandError;
    expect(error.code).toBe("validation");
    expect(error.fields).toEqual([{ field: "company_name", message: "Enter a company name." }]);

    await commands.publishDraft("c1", "quotas");
    expect(seen[1]).toEqual(["publish_draft", { id: "c1", kind: "quotas" }]);
  });
});
