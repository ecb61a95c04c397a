import type { ProductType } from "./model.js";
import type { WorkerName } from "./pipeline-config.js";

/**
 * Which tenant secrets each function reads, declared once: the Pulumi program grants exactly these
 * (infra/access.ts) and each function's credential loader reads only these (runtime/edges/aws/secrets.ts).
 * Extract talks to Siesa, load and verify to the product, the API's check route to both; dispatch to neither;
 * notify reads only the tenant's webhook URL and signing secret.
 */
export type FunctionName = WorkerName | "api";
export type SecretKind = "siesa" | "product" | "notify";

export const SECRETS_READ: Readonly<Record<FunctionName, readonly SecretKind[]>> = {
  dispatch: [],
  settle: [],
  extract: ["siesa"],
  load: ["product"],
  verify: ["product"],
  api: ["siesa", "product"],
  notify: ["notify"],
};

/** Every product type, each naming its secret `siesa-integration/<tenant>/<type>` (exhaustive by type). */
const PRODUCT_SECRETS: Readonly<Record<ProductType, true>> = { "kong-rfid": true, wms: true };
export const PRODUCT_SECRET_SYSTEMS = Object.keys(PRODUCT_SECRETS) as ProductType[];

/** The secret systems (last segment of the name) of one kind. */
export const secretSystems = (kind: SecretKind): readonly ("siesa" | ProductType | "notify")[] =>
  kind === "product" ? PRODUCT_SECRET_SYSTEMS : [kind];
