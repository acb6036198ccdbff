import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/", "coverage/", "node_modules/", "docs/api/"],
  },
  js.configs.recommended,
  {
    files: ["**/*.ts", "**/*.cts"],
    extends: [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Contradicts no-non-null-assertion, which stays on: `as T` marks the narrowing instead.
      "@typescript-eslint/non-nullable-type-assertion-style": "off",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["test/**/*.ts", "test/**/*.cts"],
    rules: {
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/only-throw-error": "off",
      "@typescript-eslint/no-empty-function": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/class-literal-property-style": "off",
      "@typescript-eslint/no-extraneous-class": "off",
    },
  },
  {
    // Type tests: a value used only in `typeof` is the point, and tsc's noUnusedLocals (in
    // test/types/tsconfig.json) counts that as a use; `Equal`'s type parameters are the check.
    files: ["test/types/**/*.ts", "test/types/**/*.cts"],
    rules: {
      "@typescript-eslint/no-unused-vars": "off",
      "@typescript-eslint/no-unnecessary-type-parameters": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        setTimeout: "readonly",
        globalThis: "readonly",
        fetch: "readonly",
        Response: "readonly",
        AbortSignal: "readonly",
      },
    },
  },
  {
    // Runs unchanged on Node, Bun, Deno and in a browser: only the globals they all share.
    files: ["test/runtimes/**/*.mjs"],
    languageOptions: {
      globals: {
        console: "readonly",
        AbortController: "readonly",
        Date: "readonly",
      },
    },
  },
);
