import path from "node:path";
import { REPOSITORY_ROOT } from "../repository.js";

/** The committed plan of each stack: reviewed in pull requests, checked by test/infra/plan-snapshot.test.ts. */
export const snapshotFile = (stack: string): string =>
  path.join(REPOSITORY_ROOT, "infra", "plans", `${stack}.txt`);

/** Set to 1 to rewrite the snapshots from the current program instead of comparing with them. */
export const UPDATE_SNAPSHOTS_ENV = "UPDATE_PLAN_SNAPSHOTS";

export { STACKS } from "../../runtime/core/domain/resource-names.js";
