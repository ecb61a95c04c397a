import path from "node:path";
import { REPOSITORY_ROOT } from "../repository.js";
import type { Plan } from "./run.js";

/**
 * Every permission each role of the stack gets, one `role  action  resource [if condition]` line per
 * action and resource, from the real program under mocks. The committed list (infra/access.reviewed.txt)
 * is what a reviewer approves; test/infra/access-list.test.ts fails until a change to it is committed,
 * so a new action or resource for any function shows in the pull request. Both stacks must grant the
 * same: names are written with `{stack}` for the stack's name.
 */
export const ACCESS_LIST_FILE = path.join(REPOSITORY_ROOT, "infra", "access.reviewed.txt");

const HEADER = [
  "# Every IAM permission of every role of a stack, as the Pulumi program grants it (both stacks alike).",
  "# Reviewed: a change here is a change of what a function may do. Rewrite with",
  "# UPDATE_PLAN_SNAPSHOTS=1 npx vitest run test/infra/access-list.test.ts, then review the diff.",
  "# role  action  resource  [if condition]",
];

interface Statement {
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

export function formatAccessList(plan: Plan): string {
  const { stack } = plan;
  const generic = (text: string) =>
    text
      .replaceAll(`siesa-integration-${stack}-`, "siesa-integration-{stack}-")
      .replaceAll(`siesa-integration/${stack}/`, "siesa-integration/{stack}/")
      .replaceAll(`"${stack}"`, '"{stack}"');
  const lines = new Set<string>();
  for (const policy of plan.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
    const role = String(policy.inputs.role)
      .replace(`siesa-integration-${stack}-`, "")
      .replace(/-function$/, "");
    const statements = (JSON.parse(String(policy.inputs.policy)) as { Statement: Statement[] }).Statement;
    for (const statement of statements) {
      const condition = statement.Condition ? `  if ${JSON.stringify(statement.Condition)}` : "";
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) {
          lines.add(generic(`${role}  ${action}  ${resource}${condition}`));
        }
      }
    }
  }
  return `${[...HEADER, ...[...lines].sort()].join("\n")}\n`;
}
