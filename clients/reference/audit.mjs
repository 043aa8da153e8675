// The GraphQL over HTTP conformance audit of graphql-http, against a running Parley.
//
//   node reference/audit.mjs http://127.0.0.1:8000/graphql
//   PARLEY_API_KEY=pk_… node reference/audit.mjs https://parley.example/graphql
//
// Prints one line per audit (OK, NOTICE, WARN or ERROR, its id and its name, and why it
// failed), then a summary line `summary {"MUST": {...}, "SHOULD": {...}, ...}` (JSON).
// Exits 1 when any MUST fails (error) or any SHOULD fails (warn): a recommendation of the
// spec that Parley does not follow is a bug here too. Notices (MAY) are printed only.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node reference/audit.mjs <graphql-url>  (PARLEY_API_KEY: a bearer key)");
  process.exit(2);
}

// the audit's own requests carry no credentials; an API key, if given, is added to each
const apiKey = process.env.PARLEY_API_KEY;
function fetchWithKey(input, init = {}) {
  if (!apiKey) return fetch(input, init);
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${apiKey}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithKey });

const summary = {};
for (const result of results) {
  const level = result.name.split(" ", 1)[0]; // MUST, SHOULD or MAY
  summary[level] ??= { passed: 0, total: 0 };
  summary[level].total += 1;
  if (result.status === "ok") {
    summary[level].passed += 1;
    console.log(`OK     ${result.id} ${result.name}`);
  } else {
    const body = await result.response.text().catch(() => "(unreadable)");
    console.log(`${result.status.toUpperCase().padEnd(6)} ${result.id} ${result.name}`);
    console.log(`       ${result.reason}`);
    console.log(`       status ${result.response.status}, body ${body.slice(0, 300)}`);
  }
}
console.log(`summary ${JSON.stringify(summary)}`);

const failed = results.filter((result) => result.status === "error" || result.status === "warn");
process.exit(failed.length > 0 ? 1 : 0);
