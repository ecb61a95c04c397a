import * as v from "valibot";
import { STREAMS, type StreamName } from "../../core/domain/stream.js";
import { MAX_EXCEPTIONS_PAGE, MAX_RUNS_PAGE } from "../../core/ports/pipeline.js";
import { isItemId } from "../../core/ports/siesa.js";
import { ApiError } from "./errors.js";

/**
 * Request parameters, checked with valibot before any route runs. A failure is a 400 whose message
 * names each bad field (`limit: must be an integer from 1 to 100 (got "0")`) and whose details list them.
 */

const quoted = (issue: v.BaseIssue<unknown>) => `(got ${JSON.stringify(issue.input)?.slice(0, 60)})`;

const tenantId = v.pipe(
  v.string(),
  v.regex(
    /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    (i) => `must be a tenant id: lower-kebab-case, starting with a letter ${quoted(i)}`,
  ),
  v.maxLength(48, (i) => `must be a tenant id of at most 48 characters ${quoted(i)}`),
);

const runId = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, (i) => `must be a run id ${quoted(i)}`),
);

/** A page's `limit`, 1 to `max`. */
const pageLimit = (max: number) => {
  const limitMessage = (i: v.BaseIssue<unknown>) => `must be an integer from 1 to ${max} ${quoted(i)}`;
  return v.pipe(
    v.string(),
    v.regex(/^[0-9]{1,5}$/, limitMessage),
    v.transform(Number),
    v.minValue(1, limitMessage),
    v.maxValue(max, limitMessage),
  );
};

/** A page's `limit` (1 to `max`) and the previous page's `cursor`, both optional. */
const pageQuery = (max: number) => {
  return v.strictObject(
    {
      limit: v.optional(pageLimit(max)),
      cursor: v.optional(
        v.pipe(
          v.string(),
          v.minLength(1, "must not be empty: pass the cursor of the previous page, or leave it out"),
          v.maxLength(2048, "is too long to be a cursor this service issued"),
        ),
      ),
    },
    "is not a known query parameter (known: limit, cursor)",
  );
};

export const TenantParams = v.object({ id: tenantId });
export const RunParams = v.object({ runId });

const itemMessage = (i: v.BaseIssue<unknown>) =>
  `must be an f120_id: a whole number of a SQL int ${quoted(i)}`;
/** An item's f120_id, as text in a path or query. */
const f120Id = v.pipe(
  v.string(),
  v.check((text) => /^-?[0-9]{1,10}$/.test(text) && isItemId(Number(text)), itemMessage),
  v.transform(Number),
);
/** POST /tenants/:id/items/:f120Id/sync: the item's f120_id. */
export const ItemParams = v.object({ f120Id });
export const RunsQuery = pageQuery(MAX_RUNS_PAGE);
export const ExceptionsQuery = pageQuery(MAX_EXCEPTIONS_PAGE);

/** Rows of a stock page when `limit` is not given, and the most one page holds (CSV as JSON). */
export const DEFAULT_STOCK_PAGE = 1_000;
export const MAX_STOCK_PAGE = 10_000;

/**
 * GET /tenants/:id/stock: one location (a warehouse code, trimmed `f150_id`, as the rows hold it),
 * one item (its f120_id), the page's `limit`, `after`, the previous page's `next` (a row's key), and
 * `run`, the run the previous page came from (its link carries both).
 */
export const StockQuery = v.strictObject(
  {
    location: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.minLength(1, "must not be empty: a warehouse code (f150_id), or leave it out"),
        v.maxLength(40, (i) => `is too long to be a warehouse code (f150_id) ${quoted(i)}`),
        // A row's key joins location, item and installation with `|`.
        v.check(
          (code) => !code.includes("|"),
          (i) => `must be a warehouse code (f150_id) ${quoted(i)}`,
        ),
      ),
    ),
    item: v.optional(f120Id),
    limit: v.optional(pageLimit(MAX_STOCK_PAGE)),
    after: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1, "must not be empty: pass the previous page's next, or leave it out"),
        // DynamoDB takes a sort key of at most 1,024 bytes as where to start.
        v.maxLength(256, "is too long to be a row's key: pass the previous page's next"),
      ),
    ),
    run: v.optional(runId),
  },
  "is not a known query parameter (known: location, item, limit, after, run)",
);

/** POST /tenants/:id/verify: an empty body, `{"repair": true}`, and the stream (absent: the catalogue). */
export const VerifyBody = v.strictObject(
  {
    repair: v.optional(v.boolean("must be true or false")),
    // Not stock: its target is this service's own snapshot.
    stream: v.optional(
      v.picklist(["catalogue", "warehouses"] as const satisfies readonly StreamName[], (i) =>
        i.input === "stock"
          ? "the stock stream's target is this service's own snapshot: there is nothing in a product to compare"
          : `must be catalogue or warehouses ${quoted(i)}`,
      ),
    ),
  },
  "is not a known field (known: repair, stream)",
);

/** POST /tenants/:id/probe: an empty body (read-only), or `{"write": true}`. */
export const ProbeBody = v.strictObject(
  { write: v.optional(v.boolean("must be true or false")) },
  "is not a known field (known: write)",
);

/**
 * POST /tenants/:id/runs: an empty body, or `{"approveDeactivationsOf": "<runId>"}`, the run whose
 * held deactivations this run applies. The older `approveDeactivations` (a count) approved any set of
 * that size: it is refused, whatever its value, with the field to use instead.
 */
export const RunBody = v.strictObject(
  {
    approveDeactivationsOf: v.optional(runId),
    /** The stream to sync; absent: the catalogue. */
    stream: v.optional(v.picklist(STREAMS)),
    approveDeactivations: v.optional(
      v.custom<never>(
        () => false,
        (i) =>
          `is no longer accepted: a count approves any set of that size; name the run that held the deactivations with approveDeactivationsOf ${quoted(i)}`,
      ),
    ),
  },
  "is not a known field (known: approveDeactivationsOf, stream)",
);

export type Issue = { field: string; problem: string };

/** Parses `value` or throws a 400 naming every bad field; `where` says which part of the request it was. */
export function parseRequest<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  where: "path" | "query" | "body",
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issues: Issue[] = result.issues.map((issue) => ({
    field: v.getDotPath(issue) ?? "(request)",
    problem: issue.message,
  }));
  const message = issues.map((i) => `${i.field}: ${i.problem}`).join("; ");
  throw new ApiError(400, `invalid ${where} parameter ${message}`, { issues });
}

/** A request's JSON body checked against `schema`; no body at all reads as `{}`. */
export async function readJsonBody<S extends v.GenericSchema>(
  c: { req: { text(): Promise<string> } },
  schema: S,
): Promise<v.InferOutput<S>> {
  const text = (await c.req.text()).trim();
  let value: unknown = {};
  if (text !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "the request body is not JSON");
    }
  }
  return parseRequest(schema, value, "body");
}
