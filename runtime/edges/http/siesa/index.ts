export type { SiesaAnswer, SiesaPage } from "./answer.js";
export { itemsQuery, readEveryRange, SiesaClient } from "./client.js";
export { BARCODES_QUERY, ITEMS_QUERY, type SiesaClientOptions, SiesaConnection } from "./connection.js";
export { SiesaStockReader, STOCK_QUERY } from "./stock.js";
export { SiesaWarehouseReader, WAREHOUSES_QUERY } from "./warehouses.js";
