import type { FetchResponse } from "ofetch";
import { isRecord, isSuccess } from "./api-text.js";
import type { ProductApi } from "./product-api.js";

/**
 * The pages of a Django REST Framework list (`{count,next,previous,results}`, Kong's SKUs and
 * locations): the first asked with `query`, each later one with the query of the page before's
 * `next`, asked of our own URL (`next`'s host may be an internal one). Ends after a page without a
 * `next`, one whose `next` was asked before, or a refusal, which is yielded like any answer: the
 * caller says what it means (a lookup refused, a list that cannot be read).
 */
export async function* drfPages(
  api: ProductApi,
  url: string,
  operation: string,
  query: Record<string, string>,
): AsyncGenerator<FetchResponse<unknown>> {
  const seen = new Set<string>();
  for (let asked: Record<string, string> | undefined = query; asked; ) {
    seen.add(new URLSearchParams(asked).toString());
    const response = await api.call(operation, url, { method: "GET", query: asked });
    yield response;
    if (!isSuccess(response.status)) return;
    const next = isRecord(response._data) ? response._data.next : undefined;
    asked =
      typeof next === "string" && next !== "" ? Object.fromEntries(new URL(next).searchParams) : undefined;
    if (asked && seen.has(new URLSearchParams(asked).toString())) return;
  }
}

/** A DRF page's `results`, as the page holds it (listedRecords says when it is not a list). */
export const drfResults = (response: FetchResponse<unknown>): unknown =>
  isRecord(response._data) ? response._data.results : undefined;
