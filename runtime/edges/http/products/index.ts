export { createProductClient } from "./create-product-client.js";
export { KongClient } from "./kong-client.js";
export { WmsClient } from "./wms-client.js";
