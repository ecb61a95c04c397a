import type { WebhookAnswer, WebhookChannelPort } from "../../core/ports/notifier.js";

/** Longest a receiver may take to answer; a slower one is retried like an error. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * POSTs a notification to a tenant's webhook. Redirects are not followed: the URL checked in the
 * tenant's secret is the only one a notification goes to. Only the status is kept.
 */
export const fetchWebhook = (timeoutMs = WEBHOOK_TIMEOUT_MS): WebhookChannelPort => ({
  async post(url, body, headers): Promise<WebhookAnswer> {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return { status: response.status };
  },
});
