export { createProductClient } from "./create-product-client.js";
export { KongClient } from "./kong-client.js";
export { ProductAuthError } from "./product-auth-error.js";
export type {
  ListedRecord,
  ListScope,
  ProductClient,
  ProductClientOptions,
  ProductCredentials,
  ProductReader,
  WriteResult,
} from "./types.js";
export { WmsClient } from "./wms-client.js";
