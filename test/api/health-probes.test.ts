import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { QueueDoesNotExist } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { summariseAwsError, summarisedProbe } from "../../runtime/edges/aws/probe-summary.js";

// What GET /health/details says about a table or queue that does not answer: the kind of error,
// never the SDK's message, which can name the account, the role and the resource.

const ROLE = "arn:aws:sts::224874703567:assumed-role/siesa-integration-prod-api-function/x";

function accessDenied(): Error {
  const error = new Error(`User: ${ROLE} is not authorized to perform: dynamodb:DescribeTable`);
  error.name = "AccessDeniedException";
  return error;
}

describe("a failed health probe is summarised", () => {
  it.each([
    [accessDenied(), "access denied (AccessDeniedException)"],
    [
      new ResourceNotFoundException({ message: `Requested resource not found: ${ROLE}`, $metadata: {} }),
      "not found (ResourceNotFoundException)",
    ],
    [
      new QueueDoesNotExist({ message: "The specified queue does not exist.", $metadata: {} }),
      "not found (QueueDoesNotExist)",
    ],
    [
      Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }),
      "throttled (ThrottlingException)",
    ],
    [Object.assign(new Error("socket hang up"), { name: "TimeoutError" }), "no answer (TimeoutError)"],
    [new TypeError("fetch failed: http://10.0.0.7:4566"), "failed (TypeError)"],
    [Object.assign(new Error("x"), { name: `<script>${ROLE}` }), "failed (Error)"],
    ["a thrown string", "failed (Error)"],
  ])("%s → %s", async (error, summary) => {
    const probe = summarisedProbe(async () => {
      throw error;
    });

    const failure = await probe().catch((e: Error) => e);

    expect(summariseAwsError(error)).toBe(summary);
    expect((failure as Error).message).toBe(summary);
    expect((failure as Error).message).not.toContain("224874703567");
  });

  it("lets a probe that answers pass", async () => {
    await expect(summarisedProbe(async () => {})()).resolves.toBeUndefined();
  });
});
