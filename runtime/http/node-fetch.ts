import http from "node:http";
import https from "node:https";

/**
 * `fetch` over node:http with keep-alive agents, for ofetch to use. Node's built-in fetch spends
 * about twice the CPU per request (measured: 0.63 vs 0.30 ms per small JSON POST on this machine),
 * and the sync makes one request per changed record. Only what our clients send is supported:
 * string or byte bodies, an AbortSignal (ofetch's timeout), no redirects followed, no compression
 * asked for (so none has to be undone).
 *
 * The answer is read whole before it resolves (ReadResponse): its body is handed over as the bytes
 * read, not through a stream.
 *
 * An answer no caller can use rejects with UnusableAnswerError instead of resolving: a status
 * outside 200-599 (`new Response` would throw inside a stream listener, an uncaught crash) or a
 * body over MAX_ANSWER_BYTES (read no further: the connection is dropped).
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** No answer of Siesa or a product comes near this; a bigger one is an error, not a memory hazard. */
export const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** The server answered, but with something that is not an HTTP answer we can read. */
export class UnusableAnswerError extends Error {
  override readonly name = "UnusableAnswerError";
}

export const nodeFetch: typeof fetch = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      reject(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const body = init.body;
    if (body != null && typeof body !== "string" && !(body instanceof Uint8Array)) {
      reject(new TypeError("nodeFetch sends string or byte bodies only"));
      return;
    }
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(
      url,
      { method: init.method ?? "GET", headers, agent: agents[url.protocol], ...(signal ? { signal } : {}) },
      (response) => {
        // Drops the connection (it may still be sending) and rejects with `error`.
        const refuse = (error: Error) => {
          reject(error);
          response.destroy();
          request.destroy();
        };
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 599) {
          refuse(new UnusableAnswerError(`HTTP status ${status} is outside 200-599`));
          return;
        }
        const declared = Number(response.headers["content-length"]);
        if (declared > MAX_ANSWER_BYTES) {
          refuse(new UnusableAnswerError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            refuse(new UnusableAnswerError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
        response.on("end", () => {
          // Nothing thrown in a listener may escape: it would be an uncaught exception.
          try {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined)
                responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
            }
            const empty = status === 204 || status === 304 || init.method === "HEAD";
            resolve(
              new ReadResponse(empty ? null : Buffer.concat(chunks), { status, headers: responseHeaders }),
            );
          } catch (error) {
            reject(new UnusableAnswerError(`unreadable answer (${(error as Error).name})`));
          }
        });
      },
    );
    // Like fetch: an aborted request rejects with the signal's reason (a TimeoutError for timeouts).
    request.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
    request.end(body ?? undefined);
  });

const UTF8 = new TextDecoder();

/**
 * A Response whose body was read already: `text()`, `json()` and `arrayBuffer()` return the bytes
 * without a body stream (undici's stream machinery cost as much CPU as the rest of the request: 0.68
 * against 0.37 ms per Siesa page of 100 rows). `body` is null; ofetch finds the bytes as
 * `_bodyInit`, the name it checks for responses that carry their body that way.
 */
export class ReadResponse extends Response {
  readonly _bodyInit: Buffer | null;

  constructor(bytes: Buffer | null, init: ResponseInit) {
    super(null, init);
    this._bodyInit = bytes;
  }

  // Properties, as the DOM typings declare them (they shadow Response's prototype methods).
  // Decoded as Response.text() does: UTF-8, a leading byte order mark dropped.
  override text = async (): Promise<string> => (this._bodyInit ? UTF8.decode(this._bodyInit) : "");

  override json = async (): Promise<unknown> => JSON.parse(await this.text());

  override arrayBuffer = async (): Promise<ArrayBuffer> => {
    const bytes = this._bodyInit ?? Buffer.alloc(0);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
}
