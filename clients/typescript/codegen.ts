// graphql-codegen's configuration for Parley's TypeScript types: the client-preset (what the
// graphql-codegen docs recommend; it replaces typescript + typescript-operations, whose
// output declared the same identifiers twice). Regenerate with scripts/codegen.
import type { CodegenConfig } from "@graphql-codegen/cli";

// What Parley sends for each custom scalar (api/core/scalars.py); `input` is what a
// variable may hold, `output` what a result holds.
const scalars = {
  ID: { input: "string", output: "string" },
  // an exact decimal in plain notation ("0.000995"): keep it a string, parse it with a
  // decimal library when doing arithmetic (a JavaScript number would round money)
  Decimal: { input: "string", output: "string" },
  // ISO 8601 with a time zone ("2030-01-01T09:00:00+00:00"): new Date(value) reads it
  DateTime: { input: "string", output: "string" },
  // "YYYY-MM-DD"
  Date: { input: "string", output: "string" },
  // a 64-bit integer sent as a JSON number, so JSON.parse gives a number (exact up to 2^53)
  Long: { input: "number", output: "number" },
  // any JSON value (JsonValue is declared in src/scalars.ts)
  JSON: { input: "../scalars#JsonValue", output: "../scalars#JsonValue" },
};

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["../operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // results are plain objects with every selected field: no useFragment() needed
        fragmentMasking: false,
      },
      config: {
        scalars,
        strictScalars: true, // an unmapped scalar fails generation instead of becoming any
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: false,
      },
    },
  },
};

export default config;
