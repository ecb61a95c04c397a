export type {
  ListedRecord,
  ListScope,
  ProductClient,
  ProductClientOptions,
  ProductCredentials,
  ProductReader,
  WriteResult,
} from "../../../core/ports/product.js";
export { ProductAuthError } from "../../../core/ports/product-auth-error.js";
export { createProductClient } from "./create-product-client.js";
export { KongClient } from "./kong-client.js";
export { WmsClient } from "./wms-client.js";
