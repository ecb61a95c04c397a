import type { Log } from "../../../core/observability/logger.js";
import { ExternalCallError } from "../../../core/ports/call-errors.js";
import type { CallPolicy } from "../../../core/ports/call-policy.js";
import type { SiesaCredentials } from "../../../core/ports/siesa.js";
import { SiesaAuthError, SiesaOperatorRefusedError } from "../../../core/ports/siesa-errors.js";
import { send } from "../policy.js";
import { type RateLimit, readAnswer, refusedOperator, type SiesaPage } from "./answer.js";
import { resetAtOf, SiesaPace } from "./pace.js";
import { encodeParametros } from "./parametros.js";

export interface SiesaClientOptions {
  /** e.g. https://serviciosqa.siesacloud.com/api/siesa/v3/ */
  baseUrl: string;
  /** Connekta tenant id: the `idCompania` query parameter. */
  companyId: number;
  /** The ERP company (`f120_id_cia`) whose rows this tenant syncs. */
  erpCompany: number;
  credentials: SiesaCredentials;
  policy: CallPolicy;
  tenantId: string;
  log: Log;
  /** `tamPag`: at most 100 (Siesa answers 500+ with a row of nulls). Default 100. */
  pageSize?: number;
  /**
   * The tenant's workers that may call Siesa at once (`sync.concurrency` for each of its streams):
   * pacing keeps room in a rate-limit window for the calls the others may have in flight. Default 1.
   */
  workers?: number;
}

export const ITEMS_QUERY = "API_v2_Items";
export const BARCODES_QUERY = "API_v2_ItemsBarras";
export const MAX_PAGE_SIZE = 100;
/**
 * Siesa calls one unit of work has in flight at once at most (its barcode queries, or the leaves of a
 * range cut on known rows): pacing keeps room for as many of each other worker's.
 */
export const CALLS_AT_ONCE = 4;
/** Below this share of the rate limit left, each answer is a warning. */
const NEARLY_USED = 0.2;

/**
 * What the sync does about a refused operator, and the contract probe's line that shows the refusal.
 * Only `IN` has another form (OR chains, client.ts); the ranges the reading rests on have none.
 */
const AFTER_REFUSAL: Record<string, { effect: string; line: string }> = {
  IN: { effect: "the sync asks for barcodes by OR chains of = instead", line: "siesa reference list" },
  ">=": { effect: "the sync has no other form for the f120_id ranges it reads", line: "siesa range filter" },
  "<": { effect: "the sync has no other form for the f120_id ranges it reads", line: "siesa range filter" },
};

/**
 * One tenant's access to Siesa Cloud's `ejecutarconsultaestandar`: a page of a standard query, and
 * the smallest query that proves access. Every call goes through the shared call policy (`send()`).
 * The API's checks need no more than this; the workers read catalogues with SiesaClient, built on it.
 */
export class SiesaConnection {
  protected readonly pageSize: number;
  private readonly endpoint: string;
  /** What Siesa's rate-limit headers said, for every call of this tenant's client (pace.ts). */
  readonly pace: SiesaPace;

  constructor(protected readonly options: SiesaClientOptions) {
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new Error(
        `Siesa pageSize of tenant '${options.tenantId}' must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`,
      );
    }
    this.pageSize = pageSize;
    this.pace = new SiesaPace(options.workers ?? 1, CALLS_AT_ONCE);
    const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.endpoint = new URL("ejecutarconsultaestandar", base).toString();
  }

  /** One page of a standard query: rows trimmed, every company (filter with `parametros`). */
  queryPage(descripcion: string, page: number, parametros?: string): Promise<SiesaPage> {
    return this.request(descripcion, page, this.pageSize, parametros);
  }

  /** The smallest authenticated query: throws SiesaAuthError or ExternalCallError if Siesa is not usable. */
  async ping(): Promise<void> {
    await this.request(ITEMS_QUERY, 1, 1, `f120_id_cia = ${this.options.erpCompany}`);
  }

  protected async request(
    descripcion: string,
    page: number,
    size: number,
    parametros?: string,
  ): Promise<SiesaPage> {
    const { companyId, credentials, policy, tenantId, log } = this.options;
    const query = [
      `idCompania=${encodeURIComponent(companyId)}`,
      `descripcion=${encodeURIComponent(descripcion)}`,
      `paginacion=${encodeURIComponent(`numPag=${page}|tamPag=${size}`)}`,
      ...(parametros ? [`parametros=${encodeParametros(parametros)}`] : []),
    ].join("&");
    const operation = `ejecutarconsultaestandar ${descripcion}`;
    await this.pace.before(policy, operation, new URL(this.endpoint).host);
    let rateLimit: RateLimit | undefined;
    // What the last 429 said of the window: the pace learns it even when the call gives up.
    let throttled: RateLimit | undefined;
    let response: Awaited<ReturnType<typeof send>>;
    try {
      response = await send(
        `${this.endpoint}?${query}`,
        {
          method: "GET",
          headers: { ConniKey: credentials.conniKey, ConniToken: credentials.conniToken },
          secrets: [credentials.conniKey, credentials.conniToken],
          // Siesa says what went wrong in 200s too (a codigo): those words are masked as well.
          secretsInEveryAnswer: true,
          // A 429 without Retry-After still says when its window resets.
          waitOf429: (headers) => {
            throttled = rateLimitOf(headers);
            const now = Date.now();
            const resetAt = resetAtOf(headers.get("connekta-rate-limit-reset") ?? undefined, now);
            return resetAt === undefined ? undefined : resetAt - now;
          },
        },
        policy,
        { service: "siesa", operation, tenantId, log },
      );
      rateLimit = rateLimitOf(response.headers);
    } finally {
      this.pace.after(rateLimit ?? throttled);
    }
    const limit = Number(rateLimit?.limit);
    const remaining = Number(rateLimit?.remaining);
    // The error policy's warning (docs/integrations/README.md), for Siesa's own header names.
    if (limit > 0 && remaining < limit * NEARLY_USED) {
      log.warn("rate limit nearly used", { api: "siesa", operation, tenantId, limit, remaining });
    }
    if (response.status === 401) {
      log.warn("external call failed", {
        api: "siesa",
        operation,
        tenantId,
        status: 401,
        action: "credentials refused",
      });
      throw new SiesaAuthError(tenantId);
    }
    const answer = readAnswer(response.status, response._data, size);
    if (answer.kind === "page") {
      return rateLimit ? { ...answer.page, rateLimit } : answer.page;
    }
    log.warn("external call failed", {
      api: "siesa",
      operation,
      tenantId,
      status: response.status,
      apiMessage: answer.message,
    });
    const operator = refusedOperator(answer.message);
    if (operator !== undefined) {
      const { effect, line } = AFTER_REFUSAL[operator] ?? {
        effect: "the sync does not write this operator",
        line: "siesa range filter",
      };
      throw new SiesaOperatorRefusedError(
        operator,
        answer.message,
        `Siesa refused the filter operator '${operator}' of ${descripcion} (tenant ${tenantId}): ${answer.message}; ${effect}: run \`npm run probe -- --tenant ${tenantId}\` and read its "${line}" line`,
      );
    }
    throw new ExternalCallError("siesa", operation, response.status, answer.message, false);
  }
}

/** Siesa's published rate-limit headers, or undefined when none came. */
function rateLimitOf(headers: Headers): RateLimit | undefined {
  const rateLimit: RateLimit = {};
  for (const part of ["limit", "remaining", "reset"] as const) {
    const value = headers.get(`connekta-rate-limit-${part}`);
    if (value !== null) rateLimit[part] = value;
  }
  return Object.keys(rateLimit).length > 0 ? rateLimit : undefined;
}
