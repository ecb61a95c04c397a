import { defineTenant } from "../runtime/core/domain/define-tenant.js";

/**
 * The local demo tenant: Kong RFID against the sandboxes on this machine. `npm run sync -- --tenant demo`
 * starts the sandboxes on free ports and overrides these URLs with them.
 */
export default defineTenant({
  id: "demo",
  environment: "local",
  clientAccount: "000000000000",
  siesa: {
    baseUrl: "http://127.0.0.1:4010/api/siesa/v3/",
    companyId: 8585,
    erpCompany: 1,
  },
  product: {
    type: "kong-rfid",
    baseUrl: "http://127.0.0.1:4020/",
    endpoints: { skus: "/inventory/skus/" },
    defaults: { customer_id: 1, type_id: 1, group_id: 1 },
  },
  sync: {
    schedule: "rate(5 minutes)",
    // The sandboxes are on this machine: 16 requests in flight keep them busy without queueing.
    concurrency: 16,
  },
  mapping: "kong",
});
