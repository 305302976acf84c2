import { mockIPC } from "@tauri-apps/api/mocks";

export type Handler = (args: Record<string, unknown>) => unknown;

/** Mocks the IPC with one handler per command; records every call. Unknown commands fail. */
export function mockCommands(handlers: Record<string, Handler | unknown>, options?: { events?: boolean }) {
  const calls: Array<{ cmd: string; args: Record<string, unknown> }> = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (!(cmd in handlers)) {
        throw { code: "internal", message: `unexpected command ${cmd}` };
      }
      const h = handlers[cmd];
      return typeof h === "function" ? (h as Handler)(a) : h;
    },
    { shouldMockEvents: options?.events ?? true },
  );
  return {
    calls,
    /** The arguments of every call of `cmd`. */
    argsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
    /** The arguments of the last call of `cmd`. */
    lastArgsOf: (cmd: string) => {
      const all = calls.filter((c) => c.cmd === cmd);
      return all[all.length - 1]?.args;
    },
  };
}

/** A promise with its resolve and reject, to finish a command when the test says so. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
