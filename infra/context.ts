import { PROJECT, resourceName } from "../runtime/core/domain/resource-names.js";
import type { StackSettings } from "./settings.js";

/** What every component needs to know about the stack it is part of. */
export interface StackContext {
  settings: StackSettings;
  /** `siesa-integration-<stack>-<suffix>`: every physical name carries the stack (docs/operations.md). */
  name(suffix: string): string;
  /** Tags on every taggable resource; the stack tag also scopes the functions' access to secrets. */
  tags(extra?: Record<string, string>): Record<string, string>;
  /** An ARN in this stack's account and region, e.g. `arn("logs", "log-group:/aws/lambda/x")`. */
  arn(service: string, resource: string): string;
}

/** Tag keys the program sets; STACK_TAG is what IAM conditions on secrets check. */
export const STACK_TAG = `${PROJECT}-stack`;
export const TENANT_TAG = `${PROJECT}-tenant`;

export function stackContext(settings: StackSettings): StackContext {
  return {
    settings,
    name: (suffix) => resourceName(settings.stack, suffix),
    tags: (extra = {}) => ({
      project: PROJECT,
      [STACK_TAG]: settings.stack,
      environment: settings.environment,
      ...extra,
    }),
    arn: (service, resource) => `arn:aws:${service}:${settings.region}:${settings.accountId}:${resource}`,
  };
}

export { tablePrefix } from "../runtime/core/domain/resource-names.js";
