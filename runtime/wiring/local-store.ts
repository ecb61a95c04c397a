/**
 * Local DynamoDB: the embedded dynalite (default, in-process: no Java, no Docker), table creation, and
 * `openStore`, which picks the endpoint. Any other endpoint (DynamoDB Local, AWS) is chosen by the
 * standard AWS variables `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`, which SDK v3 reads itself.
 */
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  type KeySchemaElement,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { withoutSdkLogger } from "../core/observability/sdk-logger.js";
import { claimDirectory } from "../edges/local/directory-claim.js";
import {
  keyType,
  TABLE_DEFINITIONS,
  type TableDefinition,
  type TableNames,
  tableNames,
} from "../edges/store/tables.js";
import { LOCAL_TABLE_PREFIX } from "./local-state.js";

export interface RunningDynalite {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on a free port, in memory or, with `path`, kept on disk in that directory (LevelDB;
 * one process at a time). Its tables are ACTIVE as soon as they are created.
 */
export async function startDynalite(options: { path?: string } = {}): Promise<RunningDynalite> {
  if (options.path) {
    await mkdir(options.path, { recursive: true });
    claimOrRefuse(options.path);
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            // The SDK keeps connections alive: without this, close() would wait for them to time out.
            server.closeAllConnections();
            server.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
  });
}

/**
 * LevelDB lets one process open a directory; a second dynalite on it would crash at its first request.
 * The directory's claim (directory-claim.ts) says who has it, so the second process gets a clear error.
 */
function claimOrRefuse(path: string): void {
  const holder = claimDirectory(path);
  if (holder) {
    throw new Error(
      `the local DynamoDB data in ${path} is in use by process ${holder.pid} (${holder.command ?? "command unknown"}); ` +
        "stop it, or set SIESA_INTEGRATION_DATA_DIR to another directory",
    );
  }
}

const TABLE_READY_TIMEOUT_MS = 120_000;
const TABLE_POLL_MS = 100;

/** Creates any of the tables that does not exist yet, then waits until all are ACTIVE. Idempotent. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const kinds = Object.keys(names) as (keyof TableNames)[];
  // Settled, not Promise.all: a refused table must not end the call while the others are still
  // being created, or whoever closes the database next cuts those creations off.
  const results = await Promise.allSettled(
    kinds.map((kind) => ensureTable(client, names[kind], TABLE_DEFINITIONS[kind])),
  );
  const refused = results.find((result) => result.status === "rejected");
  if (refused) throw refused.reason;
}

async function ensureTable(client: DynamoDBClient, name: string, definition: TableDefinition): Promise<void> {
  const existing = await describe(client, name);
  if (existing) refuseOtherKeyTypes(existing, name, definition);
  else {
    try {
      await client.send(new CreateTableCommand(createTableInput(name, definition)));
    } catch (error) {
      // Another process created it between our describe and create: fine, it is the same shape.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  await waitUntilActive(client, name);
}

/**
 * A table of an earlier version whose keys have another type would refuse every write with a type
 * mismatch that names no table: said here, once, with the way out.
 */
function refuseOtherKeyTypes(table: TableDescription, name: string, definition: TableDefinition): void {
  for (const { AttributeName, AttributeType } of table.AttributeDefinitions ?? []) {
    if (!AttributeName || AttributeType === keyType(definition, AttributeName)) continue;
    throw new Error(
      `table ${name} keeps ${AttributeName} as ${AttributeType}, not ${keyType(definition, AttributeName)}: ` +
        "it was made by an earlier version; npm run reset deletes the local state",
    );
  }
}

/**
 * Note: the TTL attribute is not switched on here. dynalite has no UpdateTimeToLive, and expiry only
 * matters in AWS, where the Pulumi program sets it from TABLE_DEFINITIONS.
 */
export function createTableInput(name: string, definition: TableDefinition): CreateTableCommandInput {
  const attributes = new Set<string>();
  const keySchema = (hashKey: string, rangeKey?: string): KeySchemaElement[] => {
    attributes.add(hashKey);
    if (rangeKey) attributes.add(rangeKey);
    return [
      { AttributeName: hashKey, KeyType: "HASH" },
      ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: "RANGE" as const }] : []),
    ];
  };
  const tableKeys = keySchema(definition.hashKey, definition.rangeKey);
  const indexes = definition.gsis?.map((gsi) => ({
    IndexName: gsi.name,
    KeySchema: keySchema(gsi.hashKey, gsi.rangeKey),
    Projection: { ProjectionType: gsi.projection },
  }));
  const attributeDefinitions: AttributeDefinition[] = [...attributes].map((attribute) => ({
    AttributeName: attribute,
    AttributeType: keyType(definition, attribute),
  }));
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: tableKeys,
    AttributeDefinitions: attributeDefinitions,
    ...(indexes?.length ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

const isActive = (table: TableDescription | undefined): boolean =>
  table?.TableStatus === "ACTIVE" &&
  (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE");

async function waitUntilActive(client: DynamoDBClient, name: string): Promise<void> {
  const deadline = Date.now() + TABLE_READY_TIMEOUT_MS;
  for (;;) {
    const table = await describe(client, name);
    if (isActive(table)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `DynamoDB table ${name} is not ACTIVE after ${TABLE_READY_TIMEOUT_MS / 1000} s (status ${table?.TableStatus ?? "missing"})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, TABLE_POLL_MS));
  }
}

export interface Store {
  doc: DynamoDBDocumentClient;
  client: DynamoDBClient;
  names: TableNames;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Table name prefix; tests use a unique one per suite. Default `siesa-integration-local`. */
  prefix?: string;
  /** Where the embedded dynalite keeps its data; in memory when absent. Ignored for another endpoint. */
  path?: string;
}

/** The endpoint the environment asks for, if any (the same variables the SDK reads). */
export const environmentEndpoint = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined;

/** Harmless placeholders: local emulators accept any signature (DynamoDB Local wants [A-Za-z0-9] ids). */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

const hasCredentialSource = (env: NodeJS.ProcessEnv): boolean =>
  Boolean(
    env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );

/**
 * Opens the store: the endpoint from the environment when one is set (region and credentials from the
 * environment too, with local placeholders when none are set), else the embedded dynalite (on disk
 * under `path`, or in memory).
 * Creates the tables either way.
 * `close()` releases the client and stops dynalite if it started one.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const env = process.env;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  const configured = environmentEndpoint(env);
  const embedded = configured ? undefined : await startDynalite(options.path ? { path: options.path } : {});
  const config: DynamoDBClientConfig = embedded
    ? { endpoint: embedded.endpoint, region, credentials: LOCAL_CREDENTIALS }
    : { region, ...(hasCredentialSource(env) ? {} : { credentials: LOCAL_CREDENTIALS }) };
  const client = withoutSdkLogger(new DynamoDBClient(config));
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const names = tableNames(options.prefix ?? LOCAL_TABLE_PREFIX);
  const close = async () => {
    doc.destroy();
    client.destroy();
    await embedded?.close();
  };
  try {
    await createTables(client, names);
  } catch (error) {
    await close();
    const where = embedded?.endpoint ?? configured;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `DynamoDB at ${where}: could not create the ${names.runs} (and sibling) tables: ${reason}`,
      {
        cause: error,
      },
    );
  }
  return { doc, client, names, close };
}
