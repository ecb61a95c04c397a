import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flexibleWindowMinutes } from "../../infra/schedule-window.js";
import { tenantItem } from "../../infra/tenant-item.js";
import { DynamoTenantDirectory } from "../../runtime/edges/aws/tenants-table.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";

describe("the tenants table item the program writes is what the runtime reads", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ prefix: `infra-item-${process.pid}` });
  });
  afterAll(async () => {
    await store.close();
  });

  it("every tenant file round-trips unchanged through DynamoDB", async () => {
    const tenants = (await loadTenants()).all();
    expect(tenants.length).toBeGreaterThan(1);

    // What aws.dynamodb.TableItem does with its `item` input: a PutItem of that attribute-value JSON.
    for (const tenant of tenants) {
      await store.client.send(
        new PutItemCommand({ TableName: store.names.tenants, Item: JSON.parse(tenantItem(tenant)) }),
      );
    }
    const directory = new DynamoTenantDirectory(store.doc, store.names.tenants);

    expect(await directory.list()).toEqual(tenants);
    for (const tenant of tenants) expect(await directory.get(tenant.id)).toEqual(tenant);
  });
});

describe("a schedule's flexible window", () => {
  it.each([
    ["rate(1 hour)", 15],
    ["rate(30 minutes)", 7],
    ["rate(5 minutes)", 1],
    ["rate(1 day)", 15],
    ["cron(0 6 * * ? *)", 15],
    ["at(2030-01-01T00:00:00)", undefined],
  ])("%s: %s minutes", (expression, minutes) => {
    expect(flexibleWindowMinutes(expression)).toBe(minutes);
  });
});
