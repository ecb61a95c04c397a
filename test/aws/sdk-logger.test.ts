import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { withoutSdkLogger } from "../../runtime/core/observability/sdk-logger.js";

describe("withoutSdkLogger", () => {
  it("leaves no SDK middleware that logs (and filters) each call's input and output", async () => {
    // prepare: a client whose logger would show any call the SDK logs
    const logged: unknown[] = [];
    const logger = { debug() {}, info: (entry: unknown) => logged.push(entry), warn() {}, error() {} };
    const client = new DynamoDBClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      logger,
      maxAttempts: 1,
    });
    client.middlewareStack.add(
      () => async () => ({ output: { TableNames: [], $metadata: {} }, response: {} }),
      {
        step: "finalizeRequest",
        name: "answerLocally",
      },
    );

    // act
    await withoutSdkLogger(client).send(new ListTablesCommand({}));

    // assess
    expect(logged).toEqual([]);
  });
});
