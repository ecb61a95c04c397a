/**
 * Notifications: what a tenant's people are told, and where (the tenant file's `notify`). Pure: the
 * events are decided here from facts the steps already have; sending them is a port's job
 * (ports/notifier.ts) and delivering them the notify worker's.
 */

/** What can be notified, each once per event (docs/operations.md, "Notifications"). */
export const NOTIFY_KINDS = ["failed", "partial", "deactivationsHeld", "late", "drift"] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** A tenant file's `notify`, defaults filled in. */
export interface NotifySettings {
  /** Told through the stack's notification service (an SNS topic per tenant, email subscriptions). */
  emails: string[];
  /** POSTed to the webhook in the tenant's `notify` secret, signed with that secret's signingSecret. */
  webhook: boolean;
  /** A `partial` run is notified when more than this share of its extracted records was rejected or failed. */
  partialAbove: number;
  on: NotifyKind[];
}

export const DEFAULT_PARTIAL_ABOVE = 0.05;

/** Plain enough to catch a typo or a pasted name, not the whole of RFC 5322. */
const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:".]+(\.[^\s@<>()[\],;:".]+)+$/;
export const isEmailAddress = (text: string): boolean => EMAIL.test(text);

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * What is wrong with a webhook URL, if anything: https, or http to this machine only (a receiver
 * you run beside `npm start`). Never quotes the URL: it may carry the receiver's token.
 */
export function webhookUrlProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return "must be an absolute https URL";
  const url = new URL(text);
  if (url.username !== "" || url.password !== "") return "must not contain a user or password";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK.has(url.hostname)) return undefined;
  return `must be an https URL (http only for loopback), not ${url.protocol}//${url.hostname}`;
}

/** One thing to tell a tenant's people. `id` is stable: the same event always has the same id. */
export interface NotificationEvent {
  id: string;
  tenantId: string;
  kind: NotifyKind;
  /** The run it is about (every kind but `late`). */
  runId?: string;
  /** One sentence a person can act on. */
  reason: string;
  counts: Record<string, number>;
  /** When it was raised (ISO). */
  at: string;
}

/** What the end of a run says, as closeRun knows it. */
export interface RunEndFacts {
  tenantId: string;
  runId: string;
  status: "succeeded" | "partial" | "failed";
  reason?: string;
  counts: Record<string, number>;
  /** The run failed as drift (most rows rejected for one rule). */
  drift?: boolean;
  heldDeactivations?: { count: number; limit: number };
  /** A verify run's report counts: missing or drifted records are drift. */
  verify?: { missing: number; drifted: number };
}

/** The share of a run's extracted records that ended rejected or failed. */
export const exceptionShare = (counts: Record<string, number>): number => {
  const extracted = counts.extracted ?? 0;
  const bad = (counts.rejected ?? 0) + (counts.failed ?? 0);
  return extracted > 0 ? bad / extracted : bad > 0 ? 1 : 0;
};

/** The events the end of a run raises for a tenant that asks for them (none without `notify`). */
export function runEndEvents(
  notify: NotifySettings | undefined,
  facts: RunEndFacts,
  at: Date,
): NotificationEvent[] {
  if (!notify || (notify.emails.length === 0 && !notify.webhook)) return [];
  const { tenantId, runId, counts } = facts;
  const event = (kind: NotifyKind, reason: string, extra: Record<string, number> = {}) => ({
    id: `${runId}#${kind}`,
    tenantId,
    kind,
    runId,
    reason,
    counts: { ...counts, ...extra },
    at: at.toISOString(),
  });
  const events: NotificationEvent[] = [];
  const verifyDrift = facts.verify && facts.verify.missing + facts.verify.drifted > 0;
  // A run that failed as drift is told as drift; to a tenant that asked to hear of failures only,
  // as the failure it also is.
  const asDrift = verifyDrift || (facts.drift && (facts.status !== "failed" || notify.on.includes("drift")));
  if (asDrift) {
    events.push(
      event(
        "drift",
        facts.reason ?? "the product no longer matches the ERP",
        facts.verify ? { missing: facts.verify.missing, drifted: facts.verify.drifted } : {},
      ),
    );
  } else if (facts.status === "failed") {
    events.push(event("failed", facts.reason ?? "the run failed"));
  } else if (facts.status === "partial") {
    const share = exceptionShare(counts);
    if (share > notify.partialAbove) {
      const percent = Math.round(share * 1000) / 10;
      events.push(
        event(
          "partial",
          `${percent} % of the run's records were rejected or failed (more than the tenant's ${Math.round(notify.partialAbove * 1000) / 10} %)`,
        ),
      );
    }
  }
  if (facts.heldDeactivations) {
    const { count, limit } = facts.heldDeactivations;
    events.push(
      event(
        "deactivationsHeld",
        `${count} records are gone from Siesa, more than the tenant's limit of ${limit}: their deactivation waits for an operator's approval`,
        { held: count, limit },
      ),
    );
  }
  return events.filter((e) => notify.on.includes(e.kind));
}

/**
 * The late event of a tenant: once per late spell (`missed`: the scheduled time by which a run
 * should have completed after the last one that did, or after the schedule was resumed).
 */
export function lateEvent(
  notify: NotifySettings | undefined,
  tenantId: string,
  missed: Date,
  reason: string,
  at: Date,
): NotificationEvent | undefined {
  if (!notify || (notify.emails.length === 0 && !notify.webhook) || !notify.on.includes("late"))
    return undefined;
  return {
    id: `${tenantId}#late#${missed.toISOString()}`,
    tenantId,
    kind: "late",
    reason,
    counts: {},
    at: at.toISOString(),
  };
}

/** The headers of a webhook request (docs/operations.md shows a receiver's check). */
export const WEBHOOK_HEADERS = {
  event: "X-Siesa-Integration-Event",
  timestamp: "X-Siesa-Integration-Timestamp",
  signature: "X-Siesa-Integration-Signature",
} as const;

/** The runs-table partition of a tenant's delivery marks is `<tenantId>` + this (and IAM holds notify to it). */
export const NOTIFIED_PARTITION_SUFFIX = "#notified";
