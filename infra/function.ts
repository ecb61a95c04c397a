import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WorkerSpec } from "../runtime/core/domain/pipeline-config.js";
import { ENV } from "../runtime/core/domain/resource-names.js";
import type { AccessResources, FunctionName, PolicyStatement } from "./access.js";
import { statementsFor } from "./access.js";
import { HANDLER } from "./bundles.js";
import type { StackContext } from "./context.js";

export interface ServiceFunctionArgs {
  fn: FunctionName;
  spec: WorkerSpec;
  code: pulumi.asset.Archive;
  environment: Readonly<Record<string, pulumi.Input<string>>>;
  /** Everything but the log group, which this component creates. */
  access: Omit<AccessResources, "logStreamsArn">;
}

/**
 * One Lambda function with what it alone owns: its log group (created first, with the stack's
 * retention, so Lambda never creates one that keeps logs forever) and its role, allowed only what
 * FUNCTION_ACCESS grants it.
 */
export class ServiceFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role: aws.iam.Role;
  readonly physicalName: string;
  readonly fn: FunctionName;

  constructor(
    name: string,
    args: ServiceFunctionArgs,
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:ServiceFunction", name, {}, opts);
    const { fn, spec } = args;
    this.fn = fn;
    this.physicalName = context.name(fn);
    const tags = context.tags({ function: fn });

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}/logs`,
      {
        name: `/aws/lambda/${this.physicalName}`,
        retentionInDays: context.settings.logRetentionDays,
        tags,
      },
      { parent: this },
    );

    this.role = new aws.iam.Role(
      `${name}/role`,
      {
        name: context.name(`${fn}-function`),
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "lambda.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
        tags,
      },
      { parent: this },
    );

    const statements: PolicyStatement[] = statementsFor(fn, {
      ...args.access,
      logStreamsArn: pulumi.interpolate`${this.logGroup.arn}:*`,
    });
    const policy = new aws.iam.RolePolicy(
      `${name}/policy`,
      {
        name: context.name(`${fn}-access`),
        role: this.role.name,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
      },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
      `${name}/function`,
      {
        name: this.physicalName,
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        handler: HANDLER,
        code: args.code,
        memorySize: spec.memoryMb,
        timeout: spec.timeoutSeconds,
        reservedConcurrentExecutions: context.settings.reservedConcurrency[fn],
        role: this.role.arn,
        // ENV.function: the runtime reads only this function's kinds of tenant secret (SECRETS_READ).
        environment: { variables: { ...args.environment, [ENV.function]: fn } },
        loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
        tags,
      },
      // The role must be allowed to write logs and poll queues before the first invocation.
      { parent: this, dependsOn: [this.logGroup, policy] },
    );

    this.registerOutputs({ functionName: this.function.name });
  }
}
