import { defineTenant } from "../runtime/core/domain/define-tenant.js";

/** Parchita on Kong RFID, staging (docs/operations.md). Credentials: Secrets Manager, never here. */
export default defineTenant({
  id: "parchita-staging",
  environment: "staging",
  clientAccount: "555569220783",
  siesa: {
    baseUrl: "https://serviciosqa.siesacloud.com/api/siesa/v3/",
    companyId: 8585, // Siesa's example Connekta tenant: to be confirmed with Parchita
    erpCompany: 1,
  },
  product: {
    type: "kong-rfid",
    baseUrl: "https://api-staging.technoapes.io/",
    endpoints: { skus: "/inventory/skus/" },
    // Placeholder Kong ids: to be confirmed with the client before the first staging run.
    defaults: { customer_id: 1, type_id: 1, group_id: 1 },
  },
  sync: {
    schedule: "rate(1 hour)",
    retryAttempts: 3,
    concurrency: 4,
    maxRunMinutes: 60,
  },
  mapping: "kong",
});
