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
import type { Log } from "../../core/observability/logger.js";
import { METRICS } from "../../core/observability/metric-names.js";
import type { Principal, TokenVerifier } from "../../core/ports/api.js";
import type { MetricsSink } from "../../core/ports/dependencies.js";

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

/** How often the list is reloaded: a revoked token stops working within this time. */
export const TOKEN_LIST_TTL_MS = 60_000;
/** How long the last good list stays in use while reloads fail; after that every token is refused. */
export const MAX_STALE_TOKEN_LIST_MS = 15 * 60_000;

/** How soon a reload is tried again while no list is usable (every token is refused meanwhile). */
export const REFUSING_RETRY_MS = 5_000;

export interface TokenListOptions {
  ttlMs?: number;
  maxStaleMs?: number;
  now?: () => number;
  /**
   * Called on every failed reload (log it, count it: an alarm watches the count). `refusing` is true
   * when there is no list young enough to use, so every token is refused.
   */
  onReloadFailed?: (error: unknown, refusing: boolean) => void;
}

/**
 * A verifier over a list that is reloaded at most every `ttlMs` (so a revoked token stops working within
 * a minute without a redeploy). A failed reload (a revocation put with a JSON typo, a throttled read)
 * is reported through `onReloadFailed` and tried again after another `ttlMs`. Meanwhile the last good
 * list stays in use, but never longer than `maxStaleMs` after it was loaded: a revoked token must not
 * keep working because its revocation broke the list. Past that, and before any good list, every token
 * is refused until a good list loads (tried every REFUSING_RETRY_MS meanwhile).
 */
export function cachedTokenVerifier(
  load: () => Promise<TokenEntry[]>,
  options: TokenListOptions = {},
): TokenVerifier {
  const ttlMs = options.ttlMs ?? TOKEN_LIST_TTL_MS;
  const maxStaleMs = options.maxStaleMs ?? MAX_STALE_TOKEN_LIST_MS;
  const now = options.now ?? Date.now;
  let good: { verifier: TokenVerifier; loadedAt: number } | undefined;
  let checkedAt: number | undefined;
  let loading: Promise<void> | undefined;
  const usable = () => good !== undefined && now() - good.loadedAt < maxStaleMs;
  const reload = () => {
    loading ??= load()
      .then(
        (entries) => {
          good = { verifier: createTokenVerifier(entries), loadedAt: now() };
        },
        (error: unknown) => {
          options.onReloadFailed?.(error, !usable());
        },
      )
      .finally(() => {
        checkedAt = now();
        loading = undefined;
      });
    return loading;
  };
  return {
    async verify(token) {
      // While every token is refused, try again soon: a throttled read at a cold start must not lock
      // everyone out for a whole ttl.
      const wait = usable() ? ttlMs : Math.min(ttlMs, REFUSING_RETRY_MS);
      if (checkedAt === undefined || now() - checkedAt >= wait) await reload();
      return good && usable() ? good.verifier.verify(token) : undefined;
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

/**
 * The verifier the deployed API uses: the Secrets Manager list, cached for a minute. A failed reload
 * is logged as an error and counted in the TokenListReloadFailed metric (an alarm watches it).
 */
export function secretsManagerTokenVerifier(
  client: SecretsManagerClient,
  secretId: string,
  options: Omit<TokenListOptions, "onReloadFailed"> & { log: Log; metrics: MetricsSink },
): TokenVerifier {
  const { log, metrics, ...list } = options;
  return cachedTokenVerifier(() => loadTokensFromSecretsManager(client, secretId), {
    ...list,
    onReloadFailed(error, refusing) {
      log.error("API token list reload failed", {
        secret: secretId,
        // TokenConfigError messages name the entry and field, never a value; others only by kind.
        error:
          error instanceof TokenConfigError ? error.message : error instanceof Error ? error.name : "error",
        consequence: refusing
          ? "every token is refused until a good list loads"
          : "the last good list stays in use for at most 15 minutes after it loaded",
      });
      metrics.count(METRICS.tokenListReloadFailed, 1, {});
      metrics.flush();
    },
  });
}

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
