export { SiesaAuthError, SiesaFilterError, SiesaUnconfirmedError } from "../../../core/ports/siesa-errors.js";
export type { SiesaAnswer, SiesaPage } from "./answer.js";
export { type RangeResult, SiesaClient } from "./client.js";
export {
  BARCODES_QUERY,
  ITEMS_QUERY,
  type SiesaClientOptions,
  SiesaConnection,
  type SiesaCredentials,
} from "./connection.js";
export { FULL_RANGE, type KeyRange } from "./ranges.js";
