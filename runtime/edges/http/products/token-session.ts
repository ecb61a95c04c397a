import type { FetchResponse } from "ofetch";
import type { ProductType } from "../../../core/domain/model.js";
import type { Log } from "../../../core/observability/logger.js";
import { ProductAuthError } from "../../../core/ports/product-auth-error.js";
import { apiText } from "./api-text.js";

export interface TokenSessionOptions {
  product: ProductType;
  tenantId: string;
  log: Log;
  /** Logs in and returns the token; throws ProductAuthError when the credentials are refused. */
  login: () => Promise<string>;
}

/**
 * One product login shared by every request of a client: the token is cached, concurrent callers
 * share one login in flight, and a 401 triggers one new login no matter how many requests were
 * refused with the same stale token at once (50 parallel writes after an expiry → 1 login, not 50).
 */
export class TokenSession {
  readonly #options: TokenSessionOptions;
  #pending: Promise<string> | undefined;
  /** The token #pending resolved to; lets `#renew` tell a stale token from a fresh one synchronously. */
  #token: string | undefined;

  constructor(options: TokenSessionOptions) {
    this.#options = options;
  }

  /** The cached token, the login already in flight, or a new login. */
  token(): Promise<string> {
    if (!this.#pending) {
      const attempt: Promise<string> = this.#options.login().then(
        (token) => {
          if (this.#pending === attempt) this.#token = token;
          return token;
        },
        (error: unknown) => {
          // A failed login is not cached: the next caller tries again.
          if (this.#pending === attempt) this.#pending = undefined;
          throw error;
        },
      );
      this.#pending = attempt;
    }
    return this.#pending;
  }

  /**
   * Sends with the current token. On 401 logs in again once and re-sends; a fresh token refused
   * too means the account itself is refused: ProductAuthError.
   */
  async authorized<T>(request: (token: string) => Promise<FetchResponse<T>>): Promise<FetchResponse<T>> {
    const token = await this.token();
    const first = await request(token);
    if (first.status !== 401) return first;
    const second = await request(await this.#renew(token));
    if (second.status !== 401) return second;
    const { product, tenantId } = this.#options;
    throw new ProductAuthError(product, tenantId, 401, `a fresh token was refused: ${apiText(second._data)}`);
  }

  /** Called with the token a 401 refused: only the first such caller starts a new login. */
  #renew(refused: string): Promise<string> {
    if (this.#token === refused) {
      const { product, tenantId, log } = this.#options;
      log.info("product token refused, logging in again", { api: product, tenantId });
      this.#pending = undefined;
      this.#token = undefined;
    }
    return this.token();
  }
}
