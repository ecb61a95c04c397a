/**
 * The AWS SDK's transport for an emulator that runs in this process: each request is handed to the
 * emulator's Fastify app (`inject`) instead of going out through a socket and back in. The request is
 * the one the SDK built (same operation, same JSON, same headers); the emulator routes and answers it
 * exactly as it would over HTTP. What it saves is the local plumbing around every call (socket
 * writes, HTTP parsing on both sides, the agent), which cost the local stack about two thirds of each
 * SQS call's CPU: about 1,600 calls on a 10,000-item run.
 */
import type { SQSClientConfig } from "@aws-sdk/client-sqs";

/** What the transport needs of a Fastify app. */
export interface Injectable {
  inject(options: {
    method: string;
    url: string;
    headers: Record<string, string>;
    payload?: string | Buffer;
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }>;
}

interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export function injectTransport(app: Injectable): NonNullable<SQSClientConfig["requestHandler"]> {
  return {
    async handle(request: SdkRequest, options?: { abortSignal?: AbortSignal }) {
      const signal = options?.abortSignal;
      if (signal?.aborted) throw abortError();
      const headers: Record<string, string> = {};
      // The emulator measures the body itself; a stale length would be refused.
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.toLowerCase() !== "content-length") headers[name] = value;
      }
      const answer = app.inject({
        method: request.method,
        url: request.path + queryString(request.query),
        headers,
        ...payloadOf(request.body),
      });
      const response = await (signal ? untilAborted(answer, signal) : answer);
      return {
        response: {
          statusCode: response.statusCode,
          headers: flatHeaders(response.headers),
          body: new Uint8Array(response.rawPayload),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

function payloadOf(body: unknown): { payload?: string | Buffer } {
  if (body === undefined || body === null) return {};
  if (typeof body === "string") return { payload: body };
  // The SDK's JSON bodies are Uint8Array views (not Buffers): inject would serialise them as objects.
  if (body instanceof Uint8Array)
    return { payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  throw new Error("local SQS transport: streaming request bodies are not supported");
}

function queryString(query: SdkRequest["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function flatHeaders(headers: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return flat;
}

/** A long poll given up by its caller (a poller stopping) ends at once, as a closed socket would end it. */
export function untilAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    answer.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function abortError(): Error {
  const error = new Error("Request aborted");
  error.name = "AbortError";
  return error;
}
