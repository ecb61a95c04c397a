/**
 * The API's bearer tokens. Only their sha256 is stored, with who they belong to:
 * `[{ "sha256": "<64 hex>", "principal": {"kind":"operator"} | {"kind":"tenant","tenantId":"..."}, "name": "..." }]`.
 * In AWS the list is the Secrets Manager secret `apiTokensSecretName(stack)`; locally it comes from the
 * environment variable SIESA_INTEGRATION_TOKENS (the JSON) or SIESA_INTEGRATION_TOKENS_FILE (a path to it).
 * New tokens: `npm run token -- --operator` or `--tenant <id>` (runtime/cli/token.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import * as v from "valibot";
import type { Principal, TokenVerifier } from "../api/dependencies.js";

export const TOKENS_ENV = {
  json: "SIESA_INTEGRATION_TOKENS",
  file: "SIESA_INTEGRATION_TOKENS_FILE",
} as const;

export interface TokenEntry {
  sha256: string;
  principal: Principal;
  /** Who or what holds the token, for people reading the list (e.g. "uptime-monitor"). */
  name: string;
}

export class TokenConfigError extends Error {
  override readonly name = "TokenConfigError";
}

const PrincipalSchema = v.variant("kind", [
  v.strictObject({ kind: v.literal("operator") }),
  v.strictObject({
    kind: v.literal("tenant"),
    tenantId: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, "must be a tenant id")),
  }),
]);

const TokenEntriesSchema = v.array(
  v.strictObject({
    sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters")),
    principal: PrincipalSchema,
    name: v.pipe(v.string(), v.nonEmpty("must not be empty")),
  }),
);

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** A new random token: `sit_` (so secret scanners and people recognise it) and 256 random bits. */
export const newToken = (): string => `sit_${randomBytes(32).toString("base64url")}`;

export const tokenEntry = (token: string, principal: Principal, name: string): TokenEntry => ({
  sha256: hashToken(token),
  principal,
  name,
});

/**
 * Parses a token list; errors name `source` (a variable, file or secret) and the entry's field, never a
 * value. Hashes are not secrets, but a pasted plain token must not end up in a log either.
 */
export function parseTokenEntries(json: string, source: string): TokenEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TokenConfigError(`${source} is not valid JSON: expected a list of token entries`);
  }
  const result = v.safeParse(TokenEntriesSchema, value);
  if (!result.success) {
    const problems = result.issues.map((i) => `${v.getDotPath(i) ?? "(list)"} ${problemOf(i)}`);
    throw new TokenConfigError(`${source}: ${problems.join("; ")}`);
  }
  return result.output;
}

/** The issue without valibot's "Received ..." (which would quote the value). */
function problemOf(issue: v.BaseIssue<unknown>): string {
  if (issue.kind === "validation") return issue.message;
  if (issue.expected === "never") return "is not a known field (an entry has sha256, principal, name)";
  if (issue.received === "undefined") return "is missing";
  return `must be ${issue.expected === "Array" ? "a JSON list" : issue.expected}`;
}

/**
 * Checks a presented token against the list: its hash is compared with every entry in constant time
 * (no early exit, timingSafeEqual), so response times reveal nothing about the stored hashes.
 */
export function createTokenVerifier(entries: TokenEntry[]): TokenVerifier {
  const stored = entries.map((e) => ({ hash: Buffer.from(e.sha256, "hex"), principal: e.principal }));
  return {
    async verify(token) {
      const presented = createHash("sha256").update(token, "utf8").digest();
      let match: Principal | undefined;
      for (const entry of stored) {
        if (timingSafeEqual(presented, entry.hash) && !match) match = entry.principal;
      }
      return match;
    },
  };
}

/**
 * A verifier over a list that is reloaded at most every `ttlMs` (so a revoked token stops working within
 * a minute without a redeploy). If a reload fails, the previous list stays in use for another `ttlMs`;
 * with no previous list the error propagates (the request answers 500).
 */
export function cachedTokenVerifier(
  load: () => Promise<TokenEntry[]>,
  options: { ttlMs?: number; now?: () => number } = {},
): TokenVerifier {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let current: { verifier: TokenVerifier; loadedAt: number } | undefined;
  let loading: Promise<TokenVerifier> | undefined;
  const reload = () => {
    loading ??= load()
      .then((entries) => {
        current = { verifier: createTokenVerifier(entries), loadedAt: now() };
        return current.verifier;
      })
      .catch((error) => {
        if (!current) throw error;
        current = { ...current, loadedAt: now() }; // keep the old list; try again after another ttl
        return current.verifier;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  return {
    async verify(token) {
      const fresh = current && now() - current.loadedAt < ttlMs;
      const verifier = fresh && current ? current.verifier : await reload();
      return verifier.verify(token);
    },
  };
}

/** Reads the token list from a Secrets Manager secret (JSON in SecretString). */
export async function loadTokensFromSecretsManager(
  client: SecretsManagerClient,
  secretId: string,
): Promise<TokenEntry[]> {
  const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (answer.SecretString === undefined) {
    throw new TokenConfigError(`secret ${secretId} has no SecretString: store the token list as JSON text`);
  }
  return parseTokenEntries(answer.SecretString, `secret ${secretId}`);
}

/** The verifier the deployed API uses: the Secrets Manager list, cached for a minute. */
export const secretsManagerTokenVerifier = (
  client: SecretsManagerClient,
  secretId: string,
  options: { ttlMs?: number; now?: () => number } = {},
): TokenVerifier => cachedTokenVerifier(() => loadTokensFromSecretsManager(client, secretId), options);

/**
 * The token list for a local run: SIESA_INTEGRATION_TOKENS (JSON) or SIESA_INTEGRATION_TOKENS_FILE
 * (a path to the JSON). Neither set: an empty list (every request is refused; the caller may add its own
 * entries, as the local stack does for its operator token). Both set: an error, as the intent is unclear.
 */
export async function loadTokensFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TokenEntry[]> {
  const json = env[TOKENS_ENV.json];
  const file = env[TOKENS_ENV.file];
  if (json !== undefined && file !== undefined) {
    throw new TokenConfigError(`set only one of ${TOKENS_ENV.json} and ${TOKENS_ENV.file}, not both`);
  }
  if (json !== undefined) return parseTokenEntries(json, `environment variable ${TOKENS_ENV.json}`);
  if (file === undefined) return [];
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new TokenConfigError(`${TOKENS_ENV.file}: cannot read ${file} (${code})`);
  }
  return parseTokenEntries(text, `file ${file} (${TOKENS_ENV.file})`);
}
