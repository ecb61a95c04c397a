export type { SiesaAnswer, SiesaPage } from "./answer.js";
export { SiesaClient } from "./client.js";
export { BARCODES_QUERY, ITEMS_QUERY, type SiesaClientOptions, SiesaConnection } from "./connection.js";
