import { type OtherStream, streamScope } from "../domain/stream.js";
import type { ScheduleControl, ScheduleState } from "../ports/pipeline.js";

/**
 * Puts each of a tenant's other streams' schedules in `state`, as its catalogue's was: a paused
 * tenant reads nothing from Siesa, a resumed one syncs every stream. A schedule already in that
 * state is not written; one not deployed (yet) is left alone.
 */
export async function setStreamSchedules(
  schedules: Pick<ScheduleControl, "getState" | "setState">,
  tenantId: string,
  streams: readonly OtherStream[],
  state: ScheduleState,
): Promise<void> {
  for (const stream of streams) {
    const scope = streamScope(tenantId, stream);
    const current = await schedules.getState(scope);
    if (current !== undefined && current !== state) await schedules.setState(scope, state);
  }
}
