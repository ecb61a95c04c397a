import { Hono } from "hono";
import { onTestFinished } from "vitest";
import { listen } from "../../sandbox/serve.js";

export type Scripted = { status: number; body?: unknown; headers?: Record<string, string>; hangMs?: number };

/** A tiny API that answers each request with the next scripted answer (the last one repeats). */
export async function scriptedApi(...script: Scripted[]) {
  let requests = 0;
  const app = new Hono();
  app.all("*", async (c) => {
    const answer = script[Math.min(requests, script.length - 1)] as Scripted;
    requests++;
    if (answer.hangMs) await new Promise((resolve) => setTimeout(resolve, answer.hangMs));
    for (const [name, value] of Object.entries(answer.headers ?? {})) c.header(name, value);
    return c.json((answer.body ?? { ok: true }) as object, answer.status as 200);
  });
  const server = await listen(app);
  onTestFinished(() => server.close());
  return { url: `${server.url}/thing`, requests: () => requests };
}
