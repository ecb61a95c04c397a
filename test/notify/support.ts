import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { SQSEvent } from "aws-lambda";
import type { MetricsSink } from "../../runtime/core/ports/pipeline.js";

/** A webhook receiver on this machine: keeps every request and answers `status()` (200 by default). */
export async function webhookReceiver(status: () => number = () => 200) {
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      requests.push({ headers: request.headers, body: Buffer.concat(parts).toString("utf8") });
      response.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/siesa`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RecordedMetric {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

export function recordingMetrics(): MetricsSink & { recorded: RecordedMetric[] } {
  const recorded: RecordedMetric[] = [];
  return {
    recorded,
    count: (name, value, dimensions) => recorded.push({ name, value, dimensions }),
    seconds: (name, value, dimensions) => recorded.push({ name, value, dimensions }),
    flush: () => {},
  };
}

export const NOTIFICATIONS_ARN = "arn:aws:sqs:us-east-1:000000000000:siesa-integration-test-notifications";

/** What Lambda passes the notify worker for one message of the notifications queue, on its `receiveCount`th delivery. */
export function notificationEvent(body: unknown, receiveCount = 1, messageId = "m-1"): SQSEvent {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `receipt-${messageId}-${receiveCount}`,
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: NOTIFICATIONS_ARN,
        awsRegion: "us-east-1",
      },
    ],
  };
}
