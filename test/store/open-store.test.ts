import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RUNS_BY_ID_INDEX } from "../../runtime/edges/store/tables.js";
import {
  createTables,
  openStore,
  type RunningDynalite,
  startDynalite,
} from "../../runtime/wiring/local-store.js";
import { uniquePrefix } from "./factories.js";

const ENDPOINT_VARIABLES = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"] as const;
let saved: Record<string, string | undefined>;

// These tests steer openStore through the environment; each restores it (the runner sets it too).
beforeEach(() => {
  saved = Object.fromEntries(ENDPOINT_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of ENDPOINT_VARIABLES) delete process.env[name];
});
afterEach(() => {
  for (const name of ENDPOINT_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const clientFor = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });

describe("openStore", () => {
  let elsewhere: RunningDynalite | undefined;
  afterEach(async () => {
    await elsewhere?.close();
    elsewhere = undefined;
  });

  it("creates its tables at the endpoint named by AWS_ENDPOINT_URL_DYNAMODB", async () => {
    elsewhere = await startDynalite();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = elsewhere.endpoint;
    const prefix = uniquePrefix("env");

    const store = await openStore({ prefix });
    await store.close();

    const { TableNames } = await clientFor(elsewhere.endpoint).send(new ListTablesCommand({}));
    expect(TableNames).toEqual(Object.values(store.names).sort());
    expect(store.names.runs).toBe(`${prefix}-runs`);
  });

  it("falls back to AWS_ENDPOINT_URL", async () => {
    elsewhere = await startDynalite();
    process.env.AWS_ENDPOINT_URL = elsewhere.endpoint;

    const store = await openStore({ prefix: uniquePrefix("generic") });
    await store.close();

    const { TableNames } = await clientFor(elsewhere.endpoint).send(new ListTablesCommand({}));
    expect(TableNames).toContain(store.names.ledger);
  });

  it("starts an embedded dynalite when no endpoint is set, with every table and index ACTIVE", async () => {
    const store = await openStore({ prefix: uniquePrefix("embedded") });

    try {
      const runsTable = await store.client.send(new DescribeTableCommand({ TableName: store.names.runs }));
      const { TableNames } = await store.client.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(Object.values(store.names).sort());
      expect(runsTable.Table?.TableStatus).toBe("ACTIVE");
      expect(
        runsTable.Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus]),
      ).toEqual([[RUNS_BY_ID_INDEX, "ACTIVE"]]);
    } finally {
      await store.close();
    }
  });

  it("leaves existing tables as they are when asked to create them again", async () => {
    const store = await openStore({ prefix: uniquePrefix("again") });

    try {
      await expect(createTables(store.client, store.names)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("refuses a ledger table whose record keys are strings, and says how to start afresh", async () => {
    // prepare: the ledger table as versions before the numeric sort key created it on disk
    elsewhere = await startDynalite();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = elsewhere.endpoint;
    const prefix = uniquePrefix("string-keys");
    const ledgerTable = `${prefix}-ledger`;
    await clientFor(elsewhere.endpoint).send(
      new CreateTableCommand({
        TableName: ledgerTable,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "tenantId", KeyType: "HASH" },
          { AttributeName: "recordKey", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "tenantId", AttributeType: "S" },
          { AttributeName: "recordKey", AttributeType: "S" },
        ],
      }),
    );

    const opening = openStore({ prefix });

    await expect(opening).rejects.toThrow(
      `table ${ledgerTable} keeps recordKey as S, not N: it was made by an earlier version; ` +
        "npm run reset deletes the local state",
    );
  });

  it("names the endpoint when it cannot reach it", async () => {
    elsewhere = await startDynalite();
    const unreachable = elsewhere.endpoint;
    await elsewhere.close();
    elsewhere = undefined;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = unreachable;

    await expect(openStore({ prefix: uniquePrefix("gone") })).rejects.toThrow(`DynamoDB at ${unreachable}`);
  });
});
