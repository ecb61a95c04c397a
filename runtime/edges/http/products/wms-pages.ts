import type { FetchResponse } from "ofetch";
import { isRecord, isSuccess } from "./api-text.js";
import type { ProductApi } from "./product-api.js";

/**
 * The pages of a WMS list (its products and, as assumed, its locations: `{results,
 * last_evaluated_key_id}`): the first asked with `query`, each later one with the cursor the page
 * before named, until a page names none, one asked before, or a refusal, which is yielded like any
 * answer: the caller says what it means (a lookup refused, a list that cannot be read).
 */
export async function* wmsPages(
  api: ProductApi,
  url: string,
  operation: string,
  query: Record<string, string>,
): AsyncGenerator<FetchResponse<unknown>> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const asked = cursor ? { ...query, last_evaluated_key_id: cursor } : query;
    const response = await api.call(operation, url, { method: "GET", query: asked });
    yield response;
    if (!isSuccess(response.status)) return;
    if (cursor) seen.add(cursor);
    const next = isRecord(response._data) ? response._data.last_evaluated_key_id : undefined;
    cursor = typeof next === "string" && next !== "" ? next : undefined;
  } while (cursor && !seen.has(cursor));
}

/** A WMS page's `results`, as the page holds it (listedRecords says when it is not a list). */
export const wmsResults = (response: FetchResponse<unknown>): unknown =>
  isRecord(response._data) ? response._data.results : undefined;
