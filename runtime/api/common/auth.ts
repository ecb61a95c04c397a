import { createMiddleware } from "hono/factory";
import type { Principal, TokenVerifier } from "../../core/ports/api.js";
import type { ApiEnv } from "./env.js";
import { ApiError } from "./errors.js";

/**
 * Who may do what:
 * - an operator token reads every tenant and may act (trigger, pause, resume, check);
 * - a tenant token is read-only and sees its own tenant only: another tenant's routes answer 403,
 *   `GET /tenants` lists just its tenant, and every POST answers 403.
 */

const BEARER = /^Bearer +([^\s]+) *$/i;

/** Requires `Authorization: Bearer <token>` with a known token; leaves the principal on the context. */
export const requireToken = (tokens: TokenVerifier) =>
  createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (!header)
      throw new ApiError(401, "missing Authorization header: send 'Authorization: Bearer <token>'");
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new ApiError(401, "the Authorization header must be 'Bearer <token>'");
    const principal = await tokens.verify(token);
    if (!principal) throw new ApiError(401, "unknown or revoked token");
    c.set("principal", principal);
    await next();
  });

/**
 * Who an Authorization header's token belongs to, undefined for none or an unknown one: for the
 * console's pages, which come before the token check and only choose what to offer by it.
 */
export async function principalOf(
  tokens: TokenVerifier,
  header: string | undefined,
): Promise<Principal | undefined> {
  const token = header ? BEARER.exec(header)?.[1] : undefined;
  return token ? tokens.verify(token) : undefined;
}

export const canRead = (principal: Principal, tenantId: string): boolean =>
  principal.kind === "operator" || principal.tenantId === tenantId;

/** 403 unless the principal may read this tenant. */
export function assertCanRead(principal: Principal, tenantId: string): void {
  if (!canRead(principal, tenantId)) {
    throw new ApiError(403, `this token may not read tenant ${tenantId}`, { tenantId });
  }
}

/** 403 unless the principal is an operator: tenant tokens are read-only. */
export function assertOperator(principal: Principal, action: string): void {
  if (principal.kind !== "operator") {
    throw new ApiError(403, `only an operator token may ${action}: tenant tokens are read-only`);
  }
}
