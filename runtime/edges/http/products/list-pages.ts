import type { FetchResponse } from "ofetch";
import { apiText, isRecord, isSuccess } from "./api-text.js";
import type { ProductApi } from "./product-api.js";

/**
 * The pages of a product's list: the first asked with `query`, each later one with the query
 * `nextQuery` reads off the page before. Ends after a page that names no next one, one whose next
 * was asked before, or a refusal, which is yielded like any answer: the caller says what it means
 * (a lookup refused, a list that cannot be read).
 */
async function* listPages(
  api: ProductApi,
  url: string,
  operation: string,
  query: Record<string, string>,
  nextQuery: (page: Record<string, unknown>) => Record<string, string> | undefined,
): AsyncGenerator<FetchResponse<unknown>> {
  const seen = new Set<string>();
  for (let asked: Record<string, string> | undefined = query; asked; ) {
    seen.add(new URLSearchParams(asked).toString());
    const response = await api.call(operation, url, { method: "GET", query: asked });
    yield response;
    if (!isSuccess(response.status)) return;
    asked = isRecord(response._data) ? nextQuery(response._data) : undefined;
    if (asked && seen.has(new URLSearchParams(asked).toString())) return;
  }
}

/**
 * A page's link to the next one: absent, null or empty at the end; any other non-text is an answer
 * we cannot read, an error (ending there would drop the rest of the list, and a lookup would create
 * what it did not see).
 */
function nextOf(api: ProductApi, operation: string, page: Record<string, unknown>, field: string) {
  const value = page[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  throw api.unreadable(operation, `${field} is not a text: ${apiText(value)}`);
}

/**
 * The pages of a Django REST Framework list (`{count,next,previous,results}`, Kong's SKUs and
 * locations): each later page asked with the query of the page before's `next`, of our own URL
 * (`next`'s host may be an internal one).
 */
export const drfPages = (api: ProductApi, url: string, operation: string, query: Record<string, string>) =>
  listPages(api, url, operation, query, (page) => {
    const next = nextOf(api, operation, page, "next");
    return next === undefined ? undefined : Object.fromEntries(new URL(next).searchParams);
  });

/**
 * A WMS list's filter for both statuses: its collection asks for them, so its list may answer only
 * ACTIVE records without it, and a lookup or verify would miss every INACTIVE one.
 */
const EVERY_STATUS = { status__in: "ACTIVE,INACTIVE" } as const;

/**
 * The pages of a WMS list (its products and, as assumed, its locations: `{results,
 * last_evaluated_key_id}`), of both statuses: each later page asked with the cursor the page before
 * named.
 */
export const wmsPages = (api: ProductApi, url: string, operation: string, filter: Record<string, string>) => {
  const query = { ...filter, ...EVERY_STATUS };
  return listPages(api, url, operation, query, (page) => {
    const cursor = nextOf(api, operation, page, "last_evaluated_key_id");
    return cursor === undefined ? undefined : { ...query, last_evaluated_key_id: cursor };
  });
};

/** A page's `results`, as the page holds it (listedRecords says when it is not a list). */
export const pageResults = (response: FetchResponse<unknown>): unknown =>
  isRecord(response._data) ? response._data.results : undefined;
