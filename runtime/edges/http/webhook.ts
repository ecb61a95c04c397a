import { DeliveryError, type WebhookAnswer, type WebhookChannelPort } from "../../core/ports/notifier.js";

/** Longest a receiver may take to answer; a slower one is retried like an error. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * POSTs a notification to a tenant's webhook. Redirects are not followed: the URL checked in the
 * tenant's secret is the only one a notification goes to. Only the status is kept.
 */
export const fetchWebhook = (timeoutMs = WEBHOOK_TIMEOUT_MS): WebhookChannelPort => ({
  async post(url, body, headers): Promise<WebhookAnswer> {
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      throw new DeliveryError(whyNoAnswer(error, timeoutMs), { cause: error });
    }
  },
});

/**
 * Why a request got no answer, by its error code only: fetch says just "fetch failed", and its
 * cause's message may quote the host.
 */
function whyNoAnswer(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError")
    return `no answer within ${timeoutMs / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  return code ?? (error instanceof Error ? error.name : "no answer");
}
