/**
 * AWS on-demand prices the benchmarks turn counted usage into dollars with: the stacks' region
 * (Pulumi.staging.yaml, Pulumi.prod.yaml), the functions' architecture (infra/function.ts), no free
 * tier and no volume tiers. Where they come from and their date: docs/benchmarks.md, "Prices".
 */
export const PRICES = {
  region: "us-east-1",
  /** The day these prices were taken as published. */
  asOf: "2026-03-14",
  lambda: {
    /** arm64, the first 7.5 billion GB-seconds a month. */
    perGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
  },
  sqs: {
    /** Every API request, per 64 KiB of its payload; standard queues, the first 100 billion a month. */
    perMillionStandardRequests: 0.4,
    perMillionFifoRequests: 0.5,
  },
  dynamodb: {
    /** On-demand, standard table class: 1 KB written; 4 KB read strongly consistent (8 KB eventually). */
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
  },
  scheduler: {
    /** EventBridge Scheduler, per schedule invocation. */
    perMillionInvocations: 1.0,
  },
} as const;

/** SQS bills a request per started 64 KiB of its payload. */
export const SQS_BILLED_CHUNK_BYTES = 64 * 1024;

/** AWS's month for monthly figures: 730 hours. */
export const HOURS_A_MONTH = 730;
