// `npm run lint` (a stage of `cargo xtask test`): TypeScript's recommended rules and React's
// rules of hooks, every one an error (the React Compiler's checks included: no setState
// straight in an effect, no ref read during render).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const hooks = reactHooks.configs.flat.recommended;
const hookErrors = Object.fromEntries(Object.keys(hooks.rules ?? {}).map((rule) => [rule, "error"]));

export default defineConfig(
  // Generated from Rust (`cargo xtask bindings`), and the build's output.
  { ignores: ["dist", "src/bindings"] },
  {
    files: ["**/*.{js,ts,tsx}"],
    extends: [js.configs.recommended, tseslint.configs.recommended, hooks],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      ...hookErrors,
      // `useCommand` takes its dependencies like `useEffect`: check them the same way.
      "react-hooks/exhaustive-deps": ["error", { additionalHooks: "^useCommand$" }],
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
);
