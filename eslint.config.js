import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layersRule } from "./.ci/layers.mjs";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "dist.*/**",
      "bench/out/**",
      "node_modules/**",
      "templates/**/node_modules/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        Buffer: "readonly",
        AbortController: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        performance: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        fetch: "readonly",
        structuredClone: "readonly",
        queueMicrotask: "readonly",
        setImmediate: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@actions/*"],
              message: "Only src/action/ may import @actions/* (pure logic knows nothing of Actions).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/action/**", "test/**", "bench/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Imports run down the layers of src/ only; the order, and why, is in .ci/layers.mjs.
    files: ["src/**/*.ts"],
    plugins: { gitml: { rules: { layers: layersRule } } },
    rules: { "gitml/layers": "error" },
  },
);
