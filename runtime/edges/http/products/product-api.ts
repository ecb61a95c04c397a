import type { FetchResponse } from "ofetch";
import type { ProductRecord, ProductType } from "../../../core/domain/model.js";
import { ExternalCallError } from "../../../core/ports/call-errors.js";
import type { ProductClientOptions } from "../../../core/ports/product.js";
import { type RequestOptions, send } from "../policy.js";
import { apiText, isRecord, isSuccess } from "./api-text.js";
import { passwordLogin } from "./password-login.js";
import { TokenSession } from "./token-session.js";
import type { CreateAnswer, Refused, UpdateAnswer } from "./write-flow.js";

export interface ProductApiShape {
  product: ProductType;
  loginUrl: string;
  /** Field of the login answer that holds the token, and the Authorization scheme that sends it. */
  tokenField: string;
  scheme: "Token" | "Bearer";
  /** Reads the product's error body into one line of its own words. */
  messageOf: (data: unknown) => string;
}

/**
 * What both product APIs share: a password login with one cached token (re-login once on 401),
 * every call through the error policy, 4xx answers turned into the product's reason, and the id
 * of a created or updated record read from the answer.
 */
export class ProductApi {
  readonly #session: TokenSession;

  constructor(
    private readonly shape: ProductApiShape,
    private readonly options: ProductClientOptions,
  ) {
    this.#session = new TokenSession({
      product: shape.product,
      tenantId: options.tenantId,
      log: options.log,
      login: () => passwordLogin(shape.product, shape.loginUrl, options, shape),
    });
  }

  async login(): Promise<void> {
    await this.#session.token();
  }

  call(operation: string, url: string, options: RequestOptions): Promise<FetchResponse<unknown>> {
    const { product, scheme } = this.shape;
    return this.#session.authorized((token) =>
      send<unknown>(
        url,
        {
          ...options,
          headers: { Authorization: `${scheme} ${token}`, Accept: "application/json" },
          // A success answer is quoted too (a create answered without an id: something else at the
          // base URL, an echo of the request).
          secrets: [token],
          secretsInEveryAnswer: true,
        },
        this.options.policy,
        { service: product, operation, tenantId: this.options.tenantId, log: this.options.log },
      ),
    );
  }

  /**
   * POSTs one record's payload: its id when created, `duplicate` when `isDuplicate` reads the answer
   * as the product already holding one, the product's refusal otherwise. `once`: no retry within the
   * call after an answer that may come after the product applied it (RequestOptions.once).
   */
  async create(
    operation: string,
    url: string,
    record: ProductRecord,
    options: { isDuplicate(response: FetchResponse<unknown>): boolean; once?: true },
  ): Promise<CreateAnswer> {
    const response = await this.call(operation, url, {
      method: "POST",
      body: record.payload,
      ...(options.once ? { once: true } : {}),
    });
    if (isSuccess(response.status)) return { kind: "created", id: this.idOf(response, operation) };
    if (options.isDuplicate(response)) return { kind: "duplicate" };
    return this.refused(response);
  }

  /**
   * PATCHes `body` onto the product's record `id` at `url`: `gone` on 404 (logged as `gone`, the
   * write flow then creates it again), the product's refusal otherwise.
   */
  async update(
    operation: string,
    url: string,
    id: string,
    record: ProductRecord,
    body: Record<string, unknown>,
    gone: string,
  ): Promise<UpdateAnswer> {
    const response = await this.call(operation, url, { method: "PATCH", body });
    if (isSuccess(response.status)) return { kind: "updated", id };
    if (response.status === 404) {
      this.options.log.info(gone, {
        api: this.shape.product,
        tenantId: this.options.tenantId,
        key: record.key,
        productId: id,
      });
      return { kind: "gone" };
    }
    return this.refused(response);
  }

  /** 4xx other than 401 (handled by the session): the record is rejected with the product's own words. */
  refused(response: FetchResponse<unknown>): Refused {
    const message = this.shape.messageOf(response._data);
    return {
      kind: "refused",
      reason: response.status === 400 ? message : `HTTP ${response.status}: ${message}`,
    };
  }

  /** A list page the product refused: reading it back cannot go on, so it is an error naming the call. */
  listRefused(response: FetchResponse<unknown>, operation: string): ExternalCallError {
    return new ExternalCallError(
      this.shape.product,
      operation,
      response.status,
      this.shape.messageOf(response._data),
      false,
    );
  }

  /** An answer whose shape we cannot read (a list page's cursor, say): an error naming the call. */
  unreadable(operation: string, message: string): ExternalCallError {
    return new ExternalCallError(this.shape.product, operation, "invalid-answer", message, false);
  }

  idOf(response: FetchResponse<unknown>, operation: string): string {
    const id = isRecord(response._data) ? response._data.id : undefined;
    if (typeof id === "number" || (typeof id === "string" && id !== "")) return String(id);
    throw new ExternalCallError(
      this.shape.product,
      operation,
      response.status,
      `answered without an id: ${apiText(response._data)}`,
      false,
    );
  }
}
