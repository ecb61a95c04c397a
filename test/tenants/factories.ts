import { parseTenant, type Tenant, type TenantInput } from "../../runtime/core/domain/tenant.js";
import type { TenantEntry } from "../../runtime/wiring/tenant-registry.js";

/** A valid staging Kong tenant as a file would write it; tests change one thing at a time. */
export function aTenantInput(id = "acme-staging"): TenantInput {
  return {
    id,
    environment: "staging",
    clientAccount: "555569220783",
    siesa: { baseUrl: "https://serviciosqa.siesacloud.com/api/siesa/v3/", companyId: 8585, erpCompany: 1 },
    product: {
      type: "kong-rfid",
      baseUrl: "https://api-staging.technoapes.io/",
      endpoints: { skus: "/inventory/skus/" },
      defaults: { customer_id: 17, type_id: 4, group_id: 9 },
    },
    sync: { schedule: "rate(1 hour)" },
    mapping: "kong",
  };
}

/**
 * The same tenant as another client's: its own client account, ERP company and product customer
 * (tenants:check refuses two tenants sharing any of them without a reason). `n` tells clients apart.
 */
export function ofAnotherClient(input: TenantInput, n: number): TenantInput {
  return {
    ...input,
    clientAccount: String(555569220783 + n),
    siesa: { ...input.siesa, erpCompany: input.siesa.erpCompany + n },
    product: { ...input.product, defaults: { ...input.product.defaults, customer_id: 17 + n } },
  };
}

/** The same tenant in production: the production stack, Siesa's and Kong's production hosts. */
export function inProduction(input: TenantInput): TenantInput {
  return {
    ...input,
    environment: "production",
    siesa: { ...input.siesa, baseUrl: "https://servicios.siesacloud.com/api/siesa/v3/" },
    product: { ...input.product, baseUrl: "https://api.technoapes.io/" },
  };
}

/** The same tenant after validation (defaults filled in), for code that takes a Tenant. */
export function aTenant(change: (input: TenantInput) => void = () => {}): Tenant {
  const input = aTenantInput();
  change(input);
  const parsed = parseTenant(input);
  if (!parsed.ok) throw new Error(`test tenant is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.tenant;
}

/** A tenant file's entry as the registry sees it: by default in a file named after its id. */
export function anEntry(value: unknown, file = `tenants/${idOf(value) ?? "acme"}.ts`): TenantEntry {
  return { file, value };
}

const idOf = (value: unknown) =>
  typeof value === "object" && value !== null && "id" in value && typeof value.id === "string"
    ? value.id
    : undefined;
