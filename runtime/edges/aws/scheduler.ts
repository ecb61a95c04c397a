import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { scheduleName as nameOf, scheduleGroupName } from "../../core/domain/resource-names.js";
import { parseScope } from "../../core/domain/stream.js";
import type { ScheduleControl, ScheduleState } from "../../core/ports/pipeline.js";

export class ScheduleNotFoundError extends Error {
  override readonly name = "ScheduleNotFoundError";
}

/** The schedule of a tenant's stream, by its scope (`streamScope`: the bare tenant id for the catalogue). */
const scheduleName = (stack: string, scope: string) => {
  const { tenantId, stream } = parseScope(scope);
  return nameOf(stack, tenantId, stream);
};

/**
 * Pause/resume of each tenant's EventBridge Scheduler schedules (`scheduleName(stack, tenantId, stream)`
 * in the stack's group), each named by its stream's scope. UpdateSchedule replaces the whole schedule (an omitted optional field is reset to its
 * default), so setState reads the schedule and sends every field back with only State changed.
 */
export class EventBridgeScheduleControl implements ScheduleControl {
  constructor(
    private readonly client: SchedulerClient,
    private readonly stack: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async getState(tenantId: string): Promise<ScheduleState | undefined> {
    return (await this.read(tenantId))?.State;
  }

  async describe(tenantId: string): Promise<{ state: ScheduleState; changedAt?: Date } | undefined> {
    const schedule = await this.read(tenantId);
    if (!schedule?.State) return undefined;
    return {
      state: schedule.State,
      ...(schedule.LastModificationDate ? { changedAt: schedule.LastModificationDate } : {}),
    };
  }

  async setState(tenantId: string, state: ScheduleState): Promise<void> {
    const current = await this.read(tenantId);
    if (!current) {
      throw new ScheduleNotFoundError(
        `schedule ${this.where(tenantId)} does not exist: is tenant ${tenantId} deployed in stack ${this.stack}?`,
      );
    }
    await this.client.send(new UpdateScheduleCommand(this.unchangedBut(current, state, tenantId)));
  }

  private async read(tenantId: string): Promise<GetScheduleCommandOutput | undefined> {
    try {
      return await this.client.send(
        new GetScheduleCommand({
          Name: scheduleName(this.stack, tenantId),
          GroupName: scheduleGroupName(this.stack),
        }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** The schedule as it is, with the new State. Read-only fields (Arn, dates of creation) are left out. */
  private unchangedBut(
    current: GetScheduleCommandOutput,
    state: ScheduleState,
    tenantId: string,
  ): UpdateScheduleCommandInput {
    const { ScheduleExpression, Target, FlexibleTimeWindow } = current;
    if (!ScheduleExpression || !Target || !FlexibleTimeWindow) {
      throw new Error(
        `schedule ${this.where(tenantId)} came back without its expression, target or time window`,
      );
    }
    // Scheduler refuses a StartDate more than 5 minutes in the past; once passed it no longer matters.
    const startDate = current.StartDate && current.StartDate > this.now() ? current.StartDate : undefined;
    return {
      Name: scheduleName(this.stack, tenantId),
      GroupName: scheduleGroupName(this.stack),
      ScheduleExpression,
      Target,
      FlexibleTimeWindow,
      State: state,
      ...defined({
        StartDate: startDate,
        EndDate: current.EndDate,
        Description: current.Description,
        ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
        KmsKeyArn: current.KmsKeyArn,
        ActionAfterCompletion: current.ActionAfterCompletion,
      }),
    };
  }

  private where(tenantId: string): string {
    return `${scheduleName(this.stack, tenantId)} in group ${scheduleGroupName(this.stack)}`;
  }
}

/** The fields that have a value (so the request carries no explicit undefineds). */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
