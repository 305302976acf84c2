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

  it("report anything else as a transport failure", async () => {
    mockIPC(() => {
      throw "boom";
    });
    const error = (await commands.appInfo().catch((e: unknown) => e)) as CommandError;
    expect(error.code).toBe("ipc");
    expect(error.message).toContain("boom");
  });
});
