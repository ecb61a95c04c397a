import { afterEach, describe, expect, it } from "vitest";
import { FUNCTION_ACCESS, TABLE_ACTIONS } from "../../infra/access.js";
import { runInProcess } from "../../runtime/cli/in-process.js";
import type { FunctionName } from "../../runtime/core/domain/secret-access.js";
import type { NotifyDependencies } from "../../runtime/core/ports/notifier.js";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { AccessDeniedError, scopeNotifyToRole } from "../../runtime/wiring/role-scope.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { stepWorld } from "../pipeline/step-world.js";
import { recordingLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// What each function may touch, as the local stack and the step tests give it: exactly what
// infra/access.ts and SECRETS_READ grant, the rest refused as AWS refuses it.

const FUNCTIONS = Object.keys(FUNCTION_ACCESS) as FunctionName[];

/** Whether `call` was refused, and the refusal (it must name function, action and resource). */
async function refusal(call: () => unknown): Promise<AccessDeniedError | undefined> {
  try {
    await call();
    return undefined;
  } catch (error) {
    if (error instanceof AccessDeniedError) return error;
    throw error;
  }
}

describe("a function's world, scoped to its role", () => {
  it("settle reads the ledger but cannot write it", async () => {
    // prepare
    const world = stepWorld();
    const settle = world.scoped("settle");

    // act
    const read = await refusal(() => settle.ledger.getMany(world.tenant.id, ["1"]));
    const write = await refusal(() => settle.ledger.putMany(world.tenant.id, []));

    // assess
    expect(read).toBeUndefined();
    expect(write?.message).toBe(
      "function settle is not authorized to perform dynamodb:PutItem on table ledger (its role: infra/access.ts, runtime/core/domain/secret-access.ts)",
    );
    expect(world.denied).toEqual([write]);
  });

  it("load gets no Siesa credentials: reading them, or calling Siesa, is refused; its product's are there", async () => {
    // prepare
    const world = stepWorld();
    const load = world.scoped("load");

    // act
    const credentials = await load.credentials.forTenant(world.tenant);
    const clients = load.clientsFor(world.tenant, credentials);

    // assess
    expect(credentials.product.username).toBe("fake");
    const secret = `secret siesa-integration/${world.tenant.id}/siesa`;
    expect(await refusal(() => credentials.siesa.conniKey)).toMatchObject({
      fn: "load",
      action: "secretsmanager:GetSecretValue",
      resource: secret,
    });
    expect(await refusal(() => clients.siesa.extractRange(FULL_RANGE))).toMatchObject({ resource: secret });
  });

  it("settle and dispatch call neither Siesa nor the product", async () => {
    const world = stepWorld();
    for (const fn of ["settle", "dispatch"] as const) {
      const deps = world.scoped(fn);
      const clients = deps.clientsFor(world.tenant, await deps.credentials.forTenant(world.tenant));
      expect(await refusal(() => clients.product.login()), fn).toMatchObject({ fn });
      expect(await refusal(() => clients.siesa.extractRange(FULL_RANGE)), fn).toMatchObject({ fn });
    }
  });

  it("each function sends only to the queues it is granted", async () => {
    // prepare
    const world = stepWorld();
    const unit = { tenantId: world.tenant.id, runId: "r", unitId: "0", range: FULL_RANGE };
    const sends = {
      syncRequests: (fn: FunctionName) =>
        world.scoped(fn).queues.requestSync({ tenantId: world.tenant.id, trigger: "manual" }),
      units: (fn: FunctionName) => world.scoped(fn).queues.sendUnits([unit], 1),
      loads: (fn: FunctionName) => world.scoped(fn).queues.sendLoads([], 1),
    };

    // act and assess
    for (const fn of FUNCTIONS) {
      for (const [queue, send] of Object.entries(sends) as [
        keyof typeof sends,
        (fn: FunctionName) => Promise<void>,
      ][]) {
        const refused = await refusal(() => send(fn));
        expect(refused === undefined, `${fn} sends to ${queue}`).toBe(
          FUNCTION_ACCESS[fn].sendsTo.includes(queue),
        );
        if (refused) expect(refused.action).toBe("sqs:SendMessage");
      }
    }
  });

  it("a worker puts off only messages of the queues it consumes (settle: the dead-letter queues)", async () => {
    const world = stepWorld();
    const { units, loads } = world.queues.queues;
    const later = (fn: FunctionName, arn: string) =>
      refusal(() =>
        world
          .scoped(fn)
          .redelivery.retryLater(arn, "no-such-receipt", 1)
          .catch(() => {}),
      );

    expect(await later("extract", units.queue.arn)).toBeUndefined();
    expect(await later("extract", loads.queue.arn)).toMatchObject({ action: "sqs:ChangeMessageVisibility" });
    expect(await later("settle", loads.deadLetter.arn)).toBeUndefined();
    expect(await later("load", loads.deadLetter.arn)).toMatchObject({ fn: "load" });
  });

  it("every function reads and writes the tables as infra/access.ts declares them, and no more", async () => {
    // prepare: one call of each kind per table (a read, and a write or an append)
    const world = stepWorld();
    const tenantId = world.tenant.id;
    const calls = {
      ledger: {
        "dynamodb:BatchGetItem": (fn: FunctionName) => world.scoped(fn).ledger.getMany(tenantId, ["1"]),
        "dynamodb:PutItem": (fn: FunctionName) => world.scoped(fn).ledger.putMany(tenantId, []),
      },
      runs: {
        "dynamodb:GetItem": (fn: FunctionName) => world.scoped(fn).runs.get(tenantId, "r"),
        "dynamodb:UpdateItem": (fn: FunctionName) =>
          world.scoped(fn).progress.apply(tenantId, "r", `op-${fn}`, { unitsDone: 0 }),
      },
      audit: {
        "dynamodb:PutItem": (fn: FunctionName) =>
          world.scoped(fn).audit.record(tenantId, { action: "tried" }),
      },
      tenants: {
        "dynamodb:GetItem": (fn: FunctionName) => world.scoped(fn).tenants.get(tenantId),
      },
    };

    // act and assess
    for (const fn of FUNCTIONS) {
      for (const [table, actions] of Object.entries(calls)) {
        const level = FUNCTION_ACCESS[fn].tables[table as keyof typeof calls];
        for (const [action, call] of Object.entries(actions)) {
          const granted = level !== undefined && TABLE_ACTIONS[level].includes(action);
          const refused = await refusal(() => call(fn));
          expect(refused === undefined, `${fn} ${action} on ${table}`).toBe(granted);
        }
      }
    }
  });
});

describe("npm run sync, each function over its role", () => {
  const opened: LocalSandboxes[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it("deactivates an item taken out of Siesa with no step refused (here load runs the pass: it counts the run's last load)", async () => {
    // prepare: a first run writes the catalogue; then one item changes and another leaves Siesa
    const sandboxes = await startSandboxes({ product: "kong-rfid", items: 40, seed: 5, malformedShare: 0 });
    opened.push(sandboxes);
    const store = memoryPipelineStore();
    const log = recordingLog();
    const sync = () =>
      runInProcess({
        tenant: withSandboxUrls(aTenant(), sandboxes),
        credentials: sandboxes.credentials,
        store,
        log,
        policy: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} },
        retryBaseSeconds: 0,
        timeScale: 0.01,
      });
    await sync();
    const changed = sandboxes.siesa.catalogue.changeItems(1);
    const removed = sandboxes.siesa.catalogue.companyItemIds().find((id) => !changed.includes(id));
    if (removed === undefined) throw new Error("an empty catalogue");
    sandboxes.siesa.catalogue.removeItems([removed]);

    // act
    const summary = await sync();

    // assess
    expect(summary).toMatchObject({ status: "succeeded", counts: { updated: 1, deactivated: 1 } });
    expect(log.entries.filter((e) => e.message.startsWith("refused"))).toEqual([]);
  });
});

describe("the notify worker's world, scoped to its role", () => {
  it("claims and marks deliveries and reads webhook secrets, and nothing it was not granted", async () => {
    // prepare: notify's dependencies as the local stack hands them, its grants as infra/access.ts says
    const tenant = aTenant();
    const calls: string[] = [];
    const record = (what: string) => async () => void calls.push(what);
    const deps = {
      tenants: { get: async () => tenant, list: async () => [tenant] },
      secrets: { webhookOf: async () => ({ url: "https://hooks.example.com/x", signingSecret: "s" }) },
      marks: {
        claim: async () => "claimed" as const,
        markDelivered: record("markDelivered"),
        release: record("release"),
      },
      email: { send: record("email") },
      webhook: { post: async () => ({ status: 200 }) },
      apiUrl: () => undefined,
      log: recordingLog(),
      metrics: { count: () => {} },
      redelivery: { retryLater: record("retryLater") },
      retryBaseSeconds: 1,
      now: () => new Date(),
    } as unknown as NotifyDependencies;
    const granted = scopeNotifyToRole(deps);
    const runs = FUNCTION_ACCESS.notify.tables.runs;

    // act: what notify does, then the same with the runs table taken from its role
    await granted.marks.markDelivered(tenant.id, "e#failed", "webhook");
    await granted.secrets.webhookOf(tenant);
    await granted.email.send(tenant.id, "subject", "text");
    delete FUNCTION_ACCESS.notify.tables.runs;
    const refused = await refusal(() => scopeNotifyToRole(deps).marks.claim(tenant.id, "e", "email", 0, 1));
    FUNCTION_ACCESS.notify.tables.runs = runs;

    // assess
    expect(calls).toEqual(["markDelivered", "email"]);
    expect(refused?.message).toContain(
      "function notify is not authorized to perform dynamodb:PutItem on table runs",
    );
  });
});
