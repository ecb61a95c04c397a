import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The deadline of the invocation an outbound call is made in (a Lambda's end), so the call policy
 * never waits past it. Carried implicitly because a product or Siesa client is shared by every
 * invocation of a container: the worker sets it around each message (`withDeadline`), the policy
 * reads it (`timeLeftMs`). Outside a worker (the API, the CLIs) there is none.
 */
const deadlines = new AsyncLocalStorage<number | undefined>();

/** Runs `work` with `deadline` (epoch ms) as the current invocation's; `undefined` means none. */
export function withDeadline<T>(deadline: number | undefined, work: () => Promise<T>): Promise<T> {
  return deadlines.run(deadline, work);
}

/** Milliseconds left before the current invocation's deadline; `undefined` when it has none. */
export function timeLeftMs(now = Date.now()): number | undefined {
  const deadline = deadlines.getStore();
  return deadline === undefined ? undefined : deadline - now;
}
