import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryError } from "../../runtime/core/ports/notifier.js";
import { SnsEmailChannel } from "../../runtime/edges/aws/notifications.js";
import { fetchWebhook } from "../../runtime/edges/http/webhook.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A receiver on this machine that reads the request and then does `answer` (or nothing at all). */
async function receiver(answer: (response: import("node:http").ServerResponse) => void = () => {}) {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => answer(response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/siesa?token=rcv-token-5f3a`;
}

describe("the webhook channel", () => {
  it("gives up on a receiver that never answers after its timeout, saying so without the URL", async () => {
    const url = await receiver();

    const posting = fetchWebhook(100).post(url, "{}", { "Content-Type": "application/json" });

    await expect(posting).rejects.toThrow(DeliveryError);
    await expect(posting).rejects.toThrow("no answer within 0.1 s");
    await expect(posting).rejects.not.toThrow(/token|hooks/);
  });

  it("keeps only the status of a receiver that answers and then never ends its body", async () => {
    const url = await receiver((response) => {
      response.writeHead(200, { "Content-Type": "text/plain" });
      response.write("ok, and more to come");
    });

    const answer = await fetchWebhook(1_000).post(url, "{}", {});

    expect(answer).toEqual({ status: 200 });
  });

  it("does not follow a redirect: the URL in the tenant's secret is the only one told", async () => {
    const elsewhere = await receiver((response) => response.writeHead(200).end());
    const url = await receiver((response) => response.writeHead(307, { Location: elsewhere }).end());

    const answer = await fetchWebhook(1_000).post(url, "{}", {});

    expect(answer).toEqual({ status: 307 });
  });
});

describe("the email channel", () => {
  it("gives up on an SNS that does not answer instead of holding the notify function", async () => {
    const url = await receiver();
    const sns = new SNSClient({
      region: "us-east-1",
      endpoint: url.replace(/\/hooks.*$/, ""),
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
      maxAttempts: 1,
    });

    const sending = new SnsEmailChannel(sns, "arn:aws:sns:us-east-1:000000000000:n-", 100).send(
      "acme",
      "subject",
      "text",
    );

    await expect(sending).rejects.toThrow(/abort/i);
  });
});
