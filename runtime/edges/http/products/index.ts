export { createLocationClient } from "./create-location-client.js";
export { createProductClient } from "./create-product-client.js";
export { KongClient } from "./kong-client.js";
export { KongLocationClient } from "./kong-locations.js";
export { WmsClient } from "./wms-client.js";
export { WmsLocationClient } from "./wms-locations.js";
