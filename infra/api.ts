import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { API_FUNCTION } from "../runtime/core/domain/pipeline-config.js";
import { apiTokensSecretName } from "../runtime/core/domain/resource-names.js";
import type { StackContext } from "./context.js";
import { ServiceFunction } from "./function.js";
import { accessResources, type CodeSource, type Pipeline } from "./pipeline.js";
import type { Scheduling } from "./scheduling.js";
import type { Storage } from "./storage.js";

const HEALTH_ROUTE = "GET /health";

/** One JSON line per request in the access log. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  method: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationError: "$context.integrationErrorMessage",
});

/**
 * The Hono API behind an API Gateway HTTP API: every route goes to the one function (`$default`),
 * the stage throttles, and each request leaves an access log line. The API's hashed tokens live in a
 * secret created here without a value (an operator puts it).
 */
export class Api extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly handler: ServiceFunction;
  readonly tokensSecret: aws.secretsmanager.Secret;

  constructor(
    name: string,
    args: { storage: Storage; pipeline: Pipeline; scheduling: Scheduling; code: CodeSource },
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:Api", name, {}, opts);
    const { settings } = context;

    this.tokensSecret = new aws.secretsmanager.Secret(
      `${name}/tokens`,
      {
        name: apiTokensSecretName(settings.stack),
        description:
          'Hashed API tokens (runtime/edges/aws/tokens.ts): [{"sha256":"…","principal":{"kind":"operator"},"name":"…"}]',
        recoveryWindowInDays: settings.dataProtection ? 30 : 7,
        tags: context.tags(),
      },
      { parent: this },
    );

    this.handler = new ServiceFunction(
      `${name}/handler`,
      {
        fn: "api",
        spec: API_FUNCTION,
        code: args.code("api"),
        environment: args.pipeline.environment,
        access: {
          ...accessResources(context, args.storage, args.pipeline.queues),
          apiTokensSecretArn: this.tokensSecret.arn,
          schedulerRoleArn: args.scheduling.role.arn,
        },
      },
      context,
      { parent: this },
    );

    const http = new aws.apigatewayv2.Api(
      `${name}/http`,
      { name: context.name("api"), protocolType: "HTTP", tags: context.tags() },
      { parent: this },
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}/integration`,
      {
        apiId: http.id,
        integrationType: "AWS_PROXY",
        integrationUri: this.handler.function.invokeArn,
        payloadFormatVersion: "2.0",
      },
      { parent: this },
    );
    const route = new aws.apigatewayv2.Route(
      `${name}/route`,
      { apiId: http.id, routeKey: "$default", target: pulumi.interpolate`integrations/${integration.id}` },
      { parent: this },
    );
    // The anonymous health check is its own route with its own throttle: a flood of it cannot use up
    // the throttle operators and monitors share on every other route.
    const healthRoute = new aws.apigatewayv2.Route(
      `${name}/health-route`,
      {
        apiId: http.id,
        routeKey: HEALTH_ROUTE,
        target: pulumi.interpolate`integrations/${integration.id}`,
      },
      { parent: this },
    );
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}/access-logs`,
      {
        name: `/aws/apigateway/${context.name("api")}`,
        retentionInDays: settings.logRetentionDays,
        tags: context.tags(),
      },
      { parent: this },
    );
    const stage = new aws.apigatewayv2.Stage(
      `${name}/stage`,
      {
        apiId: http.id,
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: settings.apiThrottle.rateLimit,
          throttlingBurstLimit: settings.apiThrottle.burstLimit,
        },
        routeSettings: [
          {
            routeKey: HEALTH_ROUTE,
            throttlingRateLimit: settings.apiThrottle.healthRateLimit,
            throttlingBurstLimit: settings.apiThrottle.healthBurstLimit,
          },
        ],
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        tags: context.tags(),
      },
      { parent: this, dependsOn: [route, healthRoute] },
    );
    new aws.lambda.Permission(
      `${name}/invoke`,
      {
        action: "lambda:InvokeFunction",
        function: this.handler.function.name,
        principal: "apigateway.amazonaws.com",
        // Only this API, any stage and route.
        sourceArn: pulumi.interpolate`${http.executionArn}/*/*`,
      },
      { parent: this },
    );

    this.url = stage.invokeUrl;
    this.registerOutputs({ url: this.url });
  }
}
