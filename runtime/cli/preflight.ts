/**
 * Loaded before every entry point (`node --import tsx --import ./runtime/cli/preflight.ts <entry>`,
 * see package.json): it runs before the entry's own imports are even resolved, so an old Node gets
 * one clear line instead of a failure to load node:sqlite, and the heap's growth is set before
 * the run allocates.
 */
import { limitHeapGrowth } from "./heap-growth.js";
import { requireSupportedNode } from "./node-version.js";
import { hideSqliteExperimentalWarning } from "./quiet-warnings.js";

requireSupportedNode();
hideSqliteExperimentalWarning();
limitHeapGrowth();
