import type * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi mocks that answer like AWS would, deterministically: each resource gets the ARN, URL or id
 * AWS would give it from its physical name, so policies, redrive policies and outputs read as in a
 * real deployment and a plan printed twice is the same text.
 */

/** One resource as the program registered it. */
export interface RegisteredResource {
  type: string;
  /** Pulumi's logical name. */
  name: string;
  /** false for components. */
  custom: boolean;
  inputs: Record<string, unknown>;
}

export interface RecordingMocks extends pulumi.runtime.Mocks {
  registered: RegisteredResource[];
}

export function awsMocks(where: { region: string; accountId: string }): RecordingMocks {
  const registered: RegisteredResource[] = [];
  return {
    registered,
    newResource(args) {
      registered.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs });
      const { id, state } = mockedState(args.type, args.name, args.inputs, where);
      return { id, state: { ...args.inputs, ...state } };
    },
    call(args) {
      throw new Error(
        `the program called ${args.token}: it must not depend on data sources (nothing to mock)`,
      );
    },
  };
}

function mockedState(
  type: string,
  logicalName: string,
  inputs: Record<string, unknown>,
  { region, accountId }: { region: string; accountId: string },
): { id: string; state: Record<string, unknown> } {
  const name = typeof inputs.name === "string" ? inputs.name : logicalName;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  switch (type) {
    case "aws:dynamodb/table:Table":
      return { id: name, state: { arn: arn("dynamodb", `table/${name}`) } };
    case "aws:sqs/queue:Queue": {
      const url = `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
      return { id: url, state: { arn: arn("sqs", name), url } };
    }
    case "aws:iam/role:Role":
      return { id: name, state: { arn: `arn:aws:iam::${accountId}:role/${name}` } };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: name, state: { arn: arn("logs", `log-group:${name}`) } };
    case "aws:lambda/function:Function": {
      const functionArn = arn("lambda", `function:${name}`);
      return {
        id: name,
        state: {
          arn: functionArn,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
        },
      };
    }
    case "aws:secretsmanager/secret:Secret":
      // AWS appends six random characters to a secret's ARN.
      return {
        id: arn("secretsmanager", `secret:${name}-AbCdEf`),
        state: { arn: arn("secretsmanager", `secret:${name}-AbCdEf`) },
      };
    case "aws:kms/key:Key": {
      // A key's id is a UUID AWS picks; a fixed one keeps the plan stable (the stack has one key).
      const keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
      return { id: keyId, state: { keyId, arn: arn("kms", `key/${keyId}`) } };
    }
    case "aws:sns/topic:Topic":
      return { id: arn("sns", name), state: { arn: arn("sns", name) } };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return { id: name, state: { arn: arn("scheduler", `schedule-group/${name}`) } };
    case "aws:scheduler/schedule:Schedule":
      return {
        id: `${inputs.groupName}/${name}`,
        state: { arn: arn("scheduler", `schedule/${inputs.groupName}/${name}`) },
      };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { id: name, state: { arn: arn("cloudwatch", `alarm:${name}`) } };
    case "aws:apigatewayv2/api:Api": {
      const apiId = "a1b2c3d4e5";
      return {
        id: apiId,
        state: {
          apiEndpoint: `https://${apiId}.execute-api.${region}.amazonaws.com`,
          executionArn: arn("execute-api", apiId),
        },
      };
    }
    case "aws:apigatewayv2/stage:Stage":
      return {
        id: String(inputs.name),
        state: { invokeUrl: `https://${inputs.apiId}.execute-api.${region}.amazonaws.com/` },
      };
    default:
      return { id: `${logicalName}-id`, state: {} };
  }
}
