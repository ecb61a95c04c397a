import { ExternalCallError, type ServiceName } from "../../../core/ports/call-errors.js";
import type { ListedRecord } from "../../../core/ports/product.js";
import { apiText, isRecord } from "./api-text.js";

/**
 * A list page's `results` as records, each named by its `id` (Kong) or `variant_id` (the WMS's list
 * rows). A page without a results list, or a result without an id, is
 * an answer we cannot read: an error naming the call, never records silently skipped (verify would
 * report them as missing).
 */
export function listedRecords(service: ServiceName, operation: string, results: unknown): ListedRecord[] {
  if (!Array.isArray(results)) {
    throw new ExternalCallError(
      service,
      operation,
      "invalid-answer",
      `page without a results list: ${apiText(results)}`,
      false,
    );
  }
  return results.map((result) => {
    const id = isRecord(result) ? (result.id ?? result.variant_id) : undefined;
    if (!isRecord(result) || (typeof id !== "number" && (typeof id !== "string" || id === ""))) {
      throw new ExternalCallError(
        service,
        operation,
        "invalid-answer",
        `a listed record has no id: ${apiText(result)}`,
        false,
      );
    }
    const externalId = result.external_id;
    return {
      id: String(id),
      externalId: externalId == null ? "" : String(externalId),
      fields: result,
    };
  });
}
