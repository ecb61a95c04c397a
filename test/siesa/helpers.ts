import { onTestFinished } from "vitest";
import type { SourceRecord } from "../../runtime/core/domain/model.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { SiesaClient, type SiesaClientOptions } from "../../runtime/edges/http/siesa/index.js";
import { type CatalogueOptions, generateCatalogue } from "../../sandbox/catalogue.js";
import { listen } from "../../sandbox/serve.js";
import {
  createSiesaSandbox,
  SANDBOX_SIESA_COMPANY_ID,
  SANDBOX_SIESA_CREDENTIALS,
  type SiesaSandboxOptions,
} from "../../sandbox/siesa.js";
import { recordingLog } from "../support/log.js";

/** A sleep that returns at once and remembers how long it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

export const catalogue = (options: Partial<CatalogueOptions> = {}) =>
  generateCatalogue({ size: 50, seed: 11, ...options });

/**
 * Serves a Siesa sandbox over real HTTP for the current test (closed when it finishes) and makes
 * clients pointed at it. The default policy never really sleeps.
 */
export async function startSiesa(options: Partial<SiesaSandboxOptions> = {}) {
  const sandbox = createSiesaSandbox({ catalogue: catalogue(), ...options });
  const server = await listen(sandbox.app);
  onTestFinished(() => server.close());
  const baseUrl = `${server.url}/api/siesa/v3/`;
  /** What the tenant's Siesa readers are built from, as compose.ts builds them. */
  const readerOptions = (overrides: Partial<SiesaClientOptions> = {}): SiesaClientOptions => ({
    baseUrl,
    companyId: SANDBOX_SIESA_COMPANY_ID,
    erpCompany: sandbox.catalogue.erpCompany,
    credentials: SANDBOX_SIESA_CREDENTIALS,
    policy: defaultPolicy({ baseDelayMs: 1, sleep: recordingSleep().sleep }),
    tenantId: "acme-test",
    log: recordingLog(),
    ...overrides,
  });
  const client = (overrides: Partial<SiesaClientOptions> = {}) => new SiesaClient(readerOptions(overrides));
  return { sandbox, server, baseUrl, client, readerOptions };
}

/** Drains extractAll into one list. */
export async function extractEverything(client: SiesaClient, concurrency = 4): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const batch of client.extractAll({ concurrency })) records.push(...batch);
  return records;
}

/** Counts how many times each key occurs. */
export function occurrences(records: readonly SourceRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.key, (counts.get(record.key) ?? 0) + 1);
  return counts;
}

export { type LogEntry, recordingLog } from "../support/log.js";
