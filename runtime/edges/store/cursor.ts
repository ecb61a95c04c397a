/**
 * The opaque paging cursor of a tenant's runs: base64url of the DynamoDB key to continue after.
 * Decoding checks it belongs to the tenant asked for, so a tampered or foreign cursor is a clear 400,
 * not a DynamoDB validation error.
 */
import { InvalidCursorError } from "../../core/ports/store-errors.js";

interface RunsKey {
  tenantId: string;
  runId: string;
}

export const encodeRunsCursor = (tenantId: string, runId: string): string =>
  Buffer.from(JSON.stringify({ tenantId, runId } satisfies RunsKey)).toString("base64url");

export function decodeRunsCursor(tenantId: string, cursor: string): RunsKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError({ list: "runs", of: `tenant ${tenantId}` });
  }
  const { tenantId: owner, runId, ...rest } = (key ?? {}) as Partial<RunsKey>;
  if (owner !== tenantId || typeof runId !== "string" || runId === "" || Object.keys(rest).length > 0) {
    throw new InvalidCursorError({ list: "runs", of: `tenant ${tenantId}` });
  }
  return { tenantId, runId };
}

/**
 * The opaque paging cursor of a run's exceptions: base64url of the sort key to continue after, which
 * must be one of that run's (exceptions.ts).
 */
export const encodeExceptionsCursor = (runId: string, after: string): string =>
  Buffer.from(JSON.stringify({ runId, after })).toString("base64url");

export function decodeExceptionsCursor(runId: string, cursor: string): string {
  const refused = new InvalidCursorError({ list: "exceptions", of: `run ${runId}` });
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refused;
  }
  const { runId: owner, after, ...rest } = (key ?? {}) as { runId?: unknown; after?: unknown };
  if (
    owner !== runId ||
    typeof after !== "string" ||
    !after.startsWith(`${runId}#`) ||
    Object.keys(rest).length > 0
  ) {
    throw refused;
  }
  return after;
}
