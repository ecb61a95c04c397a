/**
 * `npm run token -- --operator [--name <who>] [--json]` or `npm run token -- --tenant <id> [--name <who>] [--json]`:
 * makes a new API bearer token. Prints the token (shown this once, stored nowhere) and the entry to add
 * to the token list, which holds only the token's sha256. Exit 0, or 1 with the problem on stderr.
 */

import { apiTokensSecretName } from "../core/domain/resource-names.js";
import type { Principal } from "../core/ports/api.js";
import { newToken, TOKENS_ENV, tokenEntry } from "../edges/aws/tokens.js";
import { loadTenants } from "../wiring/tenant-registry.js";
import { runCommand, UsageError } from "./args.js";

const spec = {
  command: "npm run token --",
  name: "token",
  summary: "Makes a new API bearer token and prints it (once) with the entry to add to the token list.",
  synopsis: "(--operator | --tenant <id>) [--name <who holds it>] [--json]",
  options: {
    operator: { type: "boolean", help: "a token that may act on every tenant" },
    tenant: { type: "string", value: "id", help: "a read-only token for this tenant only" },
    name: { type: "string", value: "who", help: "who holds it, stored with the entry" },
    json: { type: "boolean", help: 'print {"token","entry"} as one JSON line' },
  },
  examples: ["npm run token -- --operator --name ops-laptop --json"],
} as const;

runCommand(spec, async (values) => {
  if (Boolean(values.operator) === (values.tenant !== undefined)) {
    throw new UsageError("say whose token it is: exactly one of --operator and --tenant <id>");
  }
  let principal: Principal = { kind: "operator" };
  if (values.tenant !== undefined) {
    const registry = await loadTenants();
    if (!registry.get(values.tenant)) {
      const known = registry.all().map((t) => t.id);
      throw new UsageError(`unknown tenant "${values.tenant}" (known tenants: ${known.join(", ")})`);
    }
    principal = { kind: "tenant", tenantId: values.tenant };
  }
  const token = newToken();
  const who = principal.kind === "operator" ? "operator" : `tenant ${principal.tenantId}`;
  const entry = tokenEntry(token, principal, values.name ?? `${who}, created ${new Date().toISOString()}`);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ token, entry })}\n`);
    return 0;
  }
  const scope =
    principal.kind === "operator"
      ? "operator: every tenant, may trigger, pause, resume and check"
      : `read-only, tenant ${principal.tenantId} only`;
  process.stdout.write(
    [
      `New ${who} token (${scope}). It is shown once: only its hash is stored.`,
      "",
      `  ${token}`,
      "",
      "Add this entry to the token list: the JSON array in the Secrets Manager secret",
      `${apiTokensSecretName("<stack>")}, or locally in ${TOKENS_ENV.json} or the file ${TOKENS_ENV.file}:`,
      "",
      `  ${JSON.stringify(entry)}`,
      "",
    ].join("\n"),
  );
  return 0;
});
