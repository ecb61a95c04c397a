import type { ProductType } from "../../../core/domain/model.js";
import type { ProductClientOptions } from "../../../core/ports/product.js";
import { ProductAuthError } from "../../../core/ports/product-auth-error.js";
import { type CallContext, send } from "../policy.js";
import { isRecord, isSuccess } from "./api-text.js";

/**
 * Both products log in the same way: POST username and password, read a token from one field of
 * the answer. Anything else is a ProductAuthError carrying the product's own message (never the password).
 */
export async function passwordLogin(
  product: ProductType,
  url: string,
  options: ProductClientOptions,
  answer: { tokenField: string; messageOf: (data: unknown) => string },
): Promise<string> {
  const { username, password } = options.credentials;
  const context: CallContext = {
    service: product,
    operation: "login",
    tenantId: options.tenantId,
    log: options.log,
  };
  const response = await send<unknown>(
    url,
    // Masked out of error answers only (send()): a success answer is the token, never quoted, in
    // which a short username or password could appear by chance.
    { method: "POST", body: { username, password }, secrets: [username, password] },
    options.policy,
    context,
  );
  if (!isSuccess(response.status)) {
    throw new ProductAuthError(product, options.tenantId, response.status, answer.messageOf(response._data));
  }
  const token = isRecord(response._data) ? response._data[answer.tokenField] : undefined;
  if (typeof token === "string" && token !== "") return token;
  throw new ProductAuthError(
    product,
    options.tenantId,
    response.status,
    `login answered without ${answer.tokenField}`,
  );
}
