/**
 * How long a run's history is kept: run records, their progress items and audit entries carry
 * `expiresAt` (epoch seconds), and DynamoDB's TTL deletes them after it. The ledger never expires:
 * it is what the product holds.
 */
export const HISTORY_RETENTION_DAYS = 400;

export const expiresAt = (now: Date, days: number = HISTORY_RETENTION_DAYS): number =>
  Math.floor(now.getTime() / 1000) + days * 86_400;
