import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { EventBridgeScheduleControl } from "../../runtime/edges/aws/scheduler.js";

const NOW = new Date("2025-03-10T12:00:00Z");
const NAME = "siesa-integration-staging-sync-acme-staging";
const GROUP = "siesa-integration-staging-schedules";

/** A tenant's schedule as GetSchedule returns it, as the Pulumi program would have created it. */
function deployedSchedule(change: Partial<GetScheduleCommandOutput> = {}): GetScheduleCommandOutput {
  return {
    $metadata: {},
    Arn: `arn:aws:scheduler:us-east-1:224874703567:schedule/${GROUP}/${NAME}`,
    Name: NAME,
    GroupName: GROUP,
    State: "ENABLED",
    ScheduleExpression: "rate(1 hour)",
    ScheduleExpressionTimezone: "America/Bogota",
    Description: "sync acme-staging",
    CreationDate: new Date("2025-01-01T00:00:00Z"),
    LastModificationDate: new Date("2025-01-02T00:00:00Z"),
    FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 5 },
    Target: {
      Arn: "arn:aws:sqs:us-east-1:224874703567:siesa-integration-staging-sync-requests",
      RoleArn: "arn:aws:iam::224874703567:role/siesa-integration-staging-scheduler",
      Input: '{"tenantId":"acme-staging","trigger":"schedule"}',
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    },
    ...change,
  };
}

function schedulerWith(schedule: GetScheduleCommandOutput | "missing") {
  const client = new SchedulerClient({ region: "us-east-1" });
  const mock = mockClient(client);
  if (schedule === "missing") {
    mock.on(GetScheduleCommand).rejects(
      new ResourceNotFoundException({
        message: "Schedule not found.",
        Message: "Schedule not found.",
        $metadata: {},
      }),
    );
  } else {
    mock.on(GetScheduleCommand).resolves(schedule);
  }
  mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: "arn", $metadata: {} });
  const control = new EventBridgeScheduleControl(client, "staging", () => NOW);
  return { mock, control };
}

describe("EventBridgeScheduleControl", () => {
  it("reads the tenant's schedule state by its name in the stack's group", async () => {
    const { mock, control } = schedulerWith(deployedSchedule({ State: "DISABLED" }));

    const state = await control.getState("acme-staging");

    expect(state).toBe("DISABLED");
    expect(mock.commandCalls(GetScheduleCommand)[0]?.args[0].input).toEqual({ Name: NAME, GroupName: GROUP });
  });

  it("pauses by sending the whole schedule back with only State set to DISABLED", async () => {
    const current = deployedSchedule();
    const { mock, control } = schedulerWith(current);

    await control.setState("acme-staging", "DISABLED");

    const sent = mock.commandCalls(UpdateScheduleCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args[0].input).toEqual({
      Name: NAME,
      GroupName: GROUP,
      State: "DISABLED",
      ScheduleExpression: current.ScheduleExpression,
      ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
      Description: current.Description,
      FlexibleTimeWindow: current.FlexibleTimeWindow,
      Target: current.Target,
    });
  });

  it("resumes by setting State to ENABLED", async () => {
    const { mock, control } = schedulerWith(deployedSchedule({ State: "DISABLED" }));

    await control.setState("acme-staging", "ENABLED");

    expect(mock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      Name: NAME,
      GroupName: GROUP,
      State: "ENABLED",
    });
  });

  it("keeps a future start date and the end date, but drops a start date already passed (Scheduler refuses it)", async () => {
    const future = new Date("2025-06-01T00:00:00Z");
    const end = new Date("2026-01-01T00:00:00Z");
    const withFuture = schedulerWith(deployedSchedule({ StartDate: future, EndDate: end }));
    const withPast = schedulerWith(deployedSchedule({ StartDate: new Date("2025-01-01T00:00:00Z") }));

    await withFuture.control.setState("acme-staging", "DISABLED");
    await withPast.control.setState("acme-staging", "DISABLED");

    expect(withFuture.mock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      StartDate: future,
      EndDate: end,
    });
    expect(withPast.mock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).not.toHaveProperty(
      "StartDate",
    );
  });

  it("answers undefined for a tenant without a schedule", async () => {
    const { control } = schedulerWith("missing");

    expect(await control.getState("acme-staging")).toBeUndefined();
  });

  it("refuses to set the state of a missing schedule, naming it, and updates nothing", async () => {
    const { mock, control } = schedulerWith("missing");

    await expect(control.setState("acme-staging", "DISABLED")).rejects.toThrow(
      `schedule ${NAME} in group ${GROUP} does not exist: is tenant acme-staging deployed in stack staging?`,
    );
    expect(mock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });
});
