export type { SiesaAnswer, SiesaPage } from "./answer.js";
export {
  BARCODES_QUERY,
  ITEMS_QUERY,
  type RangeResult,
  SiesaClient,
  type SiesaClientOptions,
  type SiesaCredentials,
} from "./client.js";
export { SiesaAuthError, SiesaFilterError } from "./errors.js";
export { FULL_RANGE, type KeyRange } from "./ranges.js";
