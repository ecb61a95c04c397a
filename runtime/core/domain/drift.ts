/**
 * Drift (docs/architecture.md): when most rows of a run are rejected for the same reason (a column renamed in
 * Siesa, a unit the mapping does not know, a field the product now refuses), the mapping no longer fits
 * the data, and the run fails with that reason instead of ending `partial` like any run with a few bad
 * rows. Pure: the steps tally rules per unit and chunk, the end of the run judges their sum.
 */

/** A tenant's threshold (`sync.drift`): at least `share` of the extracted rows, and at least `minRows`. */
export interface DriftSettings {
  share: number;
  minRows: number;
}

export const DEFAULT_DRIFT: DriftSettings = { share: 0.5, minRows: 20 };

const PREFIX = "drift: ";
/** Whether a run's reason says it failed as drift (it finished: its rows were read and judged). */
export const isDrift = (reason: string | undefined): boolean => reason?.startsWith(PREFIX) === true;

/** How many rows each rule rejected: `{"f120_id_unidad_inventario must be one of UND, KLS": 97}`. */
export type RuleTally = Record<string, number>;

/** A tally kept with one unit or chunk stays small whatever the rows: the most frequent rules only. */
const MAX_RULES_KEPT = 20;
/** Product messages can be long; the rule is their start. */
const MAX_RULE_CHARS = 160;

/**
 * The rule a mapping rejection broke, for one field: the field and its problem without the value it
 * was given (transforms say "must be one of UND, KLS (got CJ)"), so rows with different bad values
 * count as the same rule.
 */
export const mappingRule = (field: string, problem: string): string =>
  `${field} ${problem.replace(/ \(got [\s\S]*\)$/, "")}`.slice(0, MAX_RULE_CHARS);

/** The rule of a product's refusal: its message as the product wrote it. */
export const productRule = (reason: string): string => reason.slice(0, MAX_RULE_CHARS);

/** Counts rules; a row that breaks several rules counts once for each. */
export function tallyRules(rules: Iterable<string>): RuleTally {
  const tally: RuleTally = {};
  for (const rule of rules) tally[rule] = (tally[rule] ?? 0) + 1;
  return keepTop(tally);
}

/** Adds `more` into `into` (a run's sum of its units' and chunks' tallies). */
export function addTally(into: RuleTally, more: RuleTally | undefined): RuleTally {
  for (const [rule, n] of Object.entries(more ?? {})) into[rule] = (into[rule] ?? 0) + Number(n);
  return into;
}

function keepTop(tally: RuleTally): RuleTally {
  const entries = Object.entries(tally);
  if (entries.length <= MAX_RULES_KEPT) return tally;
  return Object.fromEntries(entries.sort((a, b) => b[1] - a[1]).slice(0, MAX_RULES_KEPT));
}

/** Whether the run's rejections are numerous enough for one rule to be drift (no tally needed yet). */
export const mayDrift = (extracted: number, rejected: number, settings: DriftSettings): boolean =>
  rejected >= settings.minRows && rejected >= settings.share * extracted;

/** "drift: <rule> in 97 % of rows" when one rule rejected enough rows, else undefined. */
export function driftReason(
  tally: RuleTally,
  extracted: number,
  settings: DriftSettings,
): string | undefined {
  let top: [string, number] | undefined;
  for (const entry of Object.entries(tally)) if (!top || entry[1] > top[1]) top = entry;
  if (!top || extracted === 0) return undefined;
  const [rule, rows] = top;
  if (rows < settings.minRows || rows < settings.share * extracted) return undefined;
  return `${PREFIX}${rule} in ${Math.round((100 * rows) / extracted)} % of rows`;
}
