/** No answer of Siesa or a product comes near this; a bigger one is an error, not a memory hazard. */
export const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** The server answered, but with something that is not an HTTP answer we can read. */
export class UnusableAnswerError extends Error {
  override readonly name = "UnusableAnswerError";
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Node's own fetch, with the answer read in full before it resolves, so the caller's timeout
 * covers a body that never ends as well as one that never starts. An answer no caller can use
 * rejects with UnusableAnswerError: a status outside 200-599, or a body over MAX_ANSWER_BYTES
 * (declared or counted while reading; the connection is dropped, the rest never read).
 */
export const boundedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status < 200 || response.status > 599) {
    drop(response);
    throw new UnusableAnswerError(`HTTP status ${response.status} is outside 200-599`);
  }
  const bytes = await readAtMost(response, MAX_ANSWER_BYTES);
  const empty = NULL_BODY.has(response.status) || init?.method === "HEAD";
  return new Response(empty ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};

async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new UnusableAnswerError(`the answer is larger than ${limit} bytes`);
  if (Number(response.headers.get("content-length")) > limit) {
    drop(response);
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream, which drops the connection.
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Drops the connection without reading the rest of the answer. */
function drop(response: Response): void {
  response.body?.cancel().catch(() => {});
}
