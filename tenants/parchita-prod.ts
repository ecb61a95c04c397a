import { defineTenant } from "../runtime/core/domain/define-tenant.js";

/** Parchita on Kong RFID, production (docs/operations.md). Credentials: Secrets Manager, never here. */
export default defineTenant({
  id: "parchita-prod",
  environment: "production",
  clientAccount: "901792597114",
  siesa: {
    baseUrl: "https://servicios.siesacloud.com/api/siesa/v3/",
    companyId: 8585, // Siesa's example Connekta tenant: to be confirmed with Parchita
    erpCompany: 1,
  },
  product: {
    type: "kong-rfid",
    baseUrl: "https://api.technoapes.io/",
    endpoints: { skus: "/inventory/skus/" },
    // Placeholder Kong ids: to be confirmed with the client before the first production run.
    defaults: { customer_id: 1, type_id: 1, group_id: 1 },
  },
  sync: {
    schedule: "rate(30 minutes)",
    retryAttempts: 3,
    concurrency: 4,
    // The prod alarm fires on runs over 30 min (docs/operations.md); the lease only reclaims dead runs.
    maxRunMinutes: 60,
  },
  mapping: "kong",
});
