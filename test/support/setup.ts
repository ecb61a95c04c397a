// Every vitest worker: the same warning filter as the entry points (see runtime/cli/quiet-warnings.ts).
import { hideSqliteExperimentalWarning } from "../../runtime/cli/quiet-warnings.js";

hideSqliteExperimentalWarning();
