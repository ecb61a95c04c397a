import type { Tenant } from "../core/domain/tenant.js";
import type { Log } from "../core/observability/logger.js";
import type { ApiDependencies } from "../core/ports/api.js";
import type { CallPolicy } from "../core/ports/call-policy.js";
import type { CredentialSource, TenantDirectory } from "../core/ports/pipeline.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { withoutSecrets } from "../edges/http/secret-text.js";

/**
 * The connectivity check an operator runs after putting a tenant's secrets (POST /tenants/:id/check):
 * 1. `secrets`: both secrets exist and parse;
 * 2. `siesa`: Siesa answers the smallest authenticated query (one row);
 * 3. `product`: the product accepts a login.
 * Nothing is written anywhere. Siesa and the product are checked at the same time (the answer comes
 * sooner); without secrets they are reported as skipped. No reason ever contains a credential: the
 * clients' messages do not, and any credential value is masked here as well, to be sure.
 * The check uses the `policy` it is given: pass one with few retries and a short timeout so the
 * answer comes within the API's own timeout.
 */

export type CheckName = "tenant" | "secrets" | "siesa" | "product";
export interface CheckResult {
  name: CheckName;
  ok: boolean;
  reason?: string;
}
export type TenantCheck = ApiDependencies["checkTenant"];

/** The part of the clients the check needs; `connectionsFor` from runtime/wiring/compose.ts fits. */
export type CheckClients = (
  tenant: Tenant,
  credentials: TenantCredentials,
  options: { policy: CallPolicy; log: Log },
) => { siesa: { ping(): Promise<void> }; product: { login(): Promise<void> } };

export interface TenantCheckDependencies {
  tenants: TenantDirectory;
  credentials: CredentialSource;
  clientsFor: CheckClients;
  policy: CallPolicy;
  log: Log;
}

export function createTenantCheck(deps: TenantCheckDependencies): TenantCheck {
  return async (tenantId) => {
    const tenant = await deps.tenants.get(tenantId);
    if (!tenant) {
      return {
        ok: false,
        checks: [{ name: "tenant", ok: false, reason: `tenant ${tenantId} does not exist` }],
      };
    }
    const checks = await checkTenant(tenant, deps);
    deps.log.info("tenant connectivity checked", {
      tenantId,
      checks: Object.fromEntries(checks.map((c) => [c.name, c.ok])),
    });
    return { ok: checks.every((c) => c.ok), checks };
  };
}

async function checkTenant(tenant: Tenant, deps: TenantCheckDependencies): Promise<CheckResult[]> {
  let credentials: TenantCredentials;
  try {
    credentials = await deps.credentials.forTenant(tenant);
  } catch (error) {
    const skipped = "skipped: the secrets are not usable";
    return [
      { name: "secrets", ok: false, reason: reasonOf(error, []) },
      { name: "siesa", ok: false, reason: skipped },
      { name: "product", ok: false, reason: skipped },
    ];
  }
  const secrets = [
    credentials.siesa.conniKey,
    credentials.siesa.conniToken,
    credentials.product.username,
    credentials.product.password,
  ];
  let clients: ReturnType<CheckClients>;
  try {
    clients = deps.clientsFor(tenant, credentials, { policy: deps.policy, log: deps.log });
  } catch (error) {
    const reason = `skipped: ${reasonOf(error, secrets)}`;
    return [
      { name: "secrets", ok: true },
      { name: "siesa", ok: false, reason },
      { name: "product", ok: false, reason },
    ];
  }
  const attempt = async (name: CheckName, act: () => Promise<void>): Promise<CheckResult> => {
    try {
      await act();
      return { name, ok: true };
    } catch (error) {
      return { name, ok: false, reason: reasonOf(error, secrets) };
    }
  };
  return [
    { name: "secrets", ok: true },
    ...(await Promise.all([
      attempt("siesa", () => clients.siesa.ping()),
      attempt("product", () => clients.product.login()),
    ])),
  ];
}

/** The error's message with every credential value masked. */
function reasonOf(error: unknown, secrets: string[]): string {
  return withoutSecrets(error instanceof Error ? error.message : String(error), secrets);
}
