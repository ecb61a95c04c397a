import type { ApiDependencies } from "../api/dependencies.js";

/**
 * PLACEHOLDER (the lead replaces it): the API's dependencies wired to AWS (DynamoDB runs and tenants,
 * SQS sync requests, EventBridgeScheduleControl, SecretsManagerCredentials, secretsManagerTokenVerifier,
 * createTenantCheck). Until then the API function refuses to start rather than run half-wired.
 */
export function awsApiDependencies(): ApiDependencies {
  throw new Error("awsApiDependencies: not wired yet (runtime/aws/api-dependencies.ts)");
}
