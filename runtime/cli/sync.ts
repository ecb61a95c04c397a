/**
 * `npm run sync -- --tenant <id>`: one full run of one tenant (or, with `--item <f120Id>`, a run of
 * that one item, which deactivates nothing), from this machine, through the
 * deployed pipeline's steps (on the local SQS, fauxqs, instead of AWS's). State (runs, ledger, leases) is kept
 * in the local data directory, so a second run of an unchanged catalogue writes nothing.
 * A `local` tenant (demo) runs against sandboxes whose state is kept there too; any other tenant
 * against its real URLs (or --siesa-url/--product-url) with credentials from the environment. For a
 * `local` tenant, each URL flag replaces one sandbox and leaves the other in place.
 * Exit status: 0 succeeded, 2 finished with rejected or failed records, deactivations held or drift,
 * 1 could not run (one line on stderr; --verbose adds the logs and the summary).
 */

import { isDrift } from "../core/domain/drift.js";
import {
  DEFAULT_STREAM,
  isStreamName,
  STREAMS,
  type StreamName,
  streamRefusal,
  syncsStream,
} from "../core/domain/stream.js";
import { logger } from "../core/observability/logger.js";
import { isItemId } from "../core/ports/siesa.js";
import { dataDir } from "../wiring/local-state.js";
import { runCommand, UsageError } from "./args.js";
import { type ProgressLine, progressLine, summaryTable } from "./report.js";
import { CREDENTIAL_NOTES, openTenantSides, SIDE_OPTIONS, tenantNamed, wholeNumber } from "./tenant-sides.js";

const spec = {
  command: "npm run sync --",
  name: "sync",
  summary:
    "One full run of one tenant from this machine, through the pipeline's steps on a local SQS (fauxqs); state is kept in .data/ (npm run reset clears it); a `local` tenant runs against sandboxes.",
  synopsis: "--tenant <id> [options]",
  options: {
    tenant: { type: "string", value: "id", help: "the tenant to run (a file under tenants/)" },
    item: {
      type: "string",
      value: "f120Id",
      help: "sync only this item (and its barcodes) now, written even if unchanged; deactivates nothing",
    },
    stream: {
      type: "string",
      value: "name",
      help: `the stream to sync: ${STREAMS.join(", ")} (default catalogue; the others only if the tenant's file declares them)`,
    },
    "dry-run": { type: "boolean", help: "compute every outcome, write nothing; list what would change" },
    json: { type: "boolean", help: "end stdout with the run's summary as one JSON line" },
    "approve-deactivations-of": {
      type: "string",
      value: "run-id",
      help: "apply the deactivations that run held: only if what this run finds is that set or part of it",
    },
    ...SIDE_OPTIONS,
  },
  notes: [
    ...CREDENTIAL_NOTES,
    "exit status: 0 succeeded, 2 finished with rejected or failed records, deactivations held or drift, 1 could not run",
  ],
  examples: [
    "npm run sync -- --tenant demo --items 200 --json",
    "npm run sync -- --tenant demo --item 1007",
    "npm run sync -- --tenant acme-staging --stream stock",
  ],
} as const;

/** `--item`'s value as an f120_id, or a UsageError naming the option. */
function itemId(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const id = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !isItemId(id))
    throw new UsageError(
      `--item must be an f120_id, a whole number of a SQL int (got ${JSON.stringify(text)})`,
    );
  return id;
}

/** `--stream`'s value, or a UsageError naming the option and the streams there are. */
function streamNamed(text: string | undefined): StreamName | undefined {
  if (text === undefined) return undefined;
  if (!isStreamName(text))
    throw new UsageError(`--stream must be one of ${STREAMS.join(", ")} (got ${JSON.stringify(text)})`);
  return text;
}

runCommand(spec, async (values) => {
  // Loaded once the arguments are read: --help and a wrong argument answer at once.
  const [{ dynamoPipelineStore }, { runInProcess }] = await Promise.all([
    import("../edges/store/dynamo.js"),
    import("./in-process.js"),
  ]);
  const item = itemId(values.item);
  const stream = streamNamed(values.stream);
  const tenant = await tenantNamed(values.tenant);
  if (stream !== undefined && !syncsStream(tenant, stream))
    throw new UsageError(
      `tenant ${tenant.id} syncs no ${stream}: its file (tenants/${tenant.id}.ts) has no streams.${stream}`,
    );
  const refusal = stream !== undefined ? streamRefusal(tenant, stream) : undefined;
  if (refusal) throw new UsageError(refusal);
  if (stream !== undefined && stream !== DEFAULT_STREAM && item !== undefined)
    throw new UsageError("--item is a run of one catalogue item: it takes no --stream");
  const items = wholeNumber("items", values.items);
  const seed = wholeNumber("seed", values.seed);
  const approveDeactivationsOf = values["approve-deactivations-of"];
  const args = { ...values, "dry-run": values["dry-run"] ?? false, items, seed };
  // Retries and external errors are logged as JSON on stderr: only with --verbose, so that a run
  // that cannot complete says so in one line.
  logger.setLogLevel(values.verbose ? "WARN" : "SILENT");

  const sides = await openTenantSides(tenant, dataDir(), { ...args, keepCatalogue: !args["dry-run"] });
  try {
    const { credentials } = sides;
    const progress: ProgressLine = progressLine(process.stderr, tenant.id);
    const summary = await runInProcess({
      tenant: sides.tenant,
      credentials,
      store: dynamoPipelineStore(sides.store.doc, sides.store.names),
      log: logger,
      dryRun: args["dry-run"],
      ...(approveDeactivationsOf !== undefined ? { approveDeactivationsOf } : {}),
      ...(item !== undefined ? { item } : {}),
      ...(stream !== undefined ? { stream } : {}),
      preflight: true,
      onProgress: (counts) => progress.update(counts),
    });
    progress.done();

    // Drift is a finished run whose rows were judged; any other failure with a reason could not run.
    const couldNotRun = summary.status === "failed" && summary.reason && !isDrift(summary.reason);
    if (!couldNotRun || values.verbose)
      process.stdout.write(summaryTable(summary, { dryRun: args["dry-run"] }));
    if (args.json) {
      const { tenantId, runId, status, counts, durationMs, reason, heldDeactivations } = summary;
      const line = { tenantId, runId, status, counts, durationMs, reason, heldDeactivations };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    if (couldNotRun) {
      process.stderr.write(`sync ${tenant.id}: could not complete: ${summary.reason}\n`);
      return 1;
    }
    return summary.status === "succeeded" ? 0 : 2;
  } finally {
    await sides.close();
  }
});
