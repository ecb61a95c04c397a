/**
 * Asking Siesa again, by id, for records a complete extraction did not return: a record is
 * deactivated only when it is still absent (docs/architecture.md, Deactivation). Siesa answers "no
 * records" for transient and filter problems too (docs/integrations/INT-001-siesa.md), so an empty
 * answer proves nothing on its own: every confirming request also names a witness, a record this run
 * read, and an answer without its witness is not believed.
 */

import type { KeyRange } from "../../../core/ports/siesa.js";
import { rangeParametros } from "./ranges.js";

/** One confirming request: the ids it asks for again, their range, and the records it must return. */
export interface Confirmation {
  range: KeyRange;
  /** Ids the extraction did not return, all inside `range`. */
  absent: number[];
  /** Ids the extraction returned inside `range`: the answer must hold each of them. */
  seenInside: number[];
  /** A record the extraction returned, asked for by `=` when none lies inside the range. */
  witness?: number;
}

/** Index of the first element of sorted `ids` that is >= `value`. */
function lowerBound(ids: readonly number[], value: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Groups the absent ids (sorted, unique) into ranges of consecutive ids, each expected to hold at
 * most `budget` rows (its absent ids plus the ids the extraction returned between them), so that one
 * short page answers it. Each range gets a witness: a returned id inside it, else the nearest one
 * outside. Without any returned id (`seen` empty) there is nothing to witness an answer: undefined.
 */
export function confirmations(
  absent: readonly number[],
  seen: readonly number[],
  budget: number,
): Confirmation[] | undefined {
  if (absent.length === 0) return [];
  if (seen.length === 0) return undefined;
  return absentRanges(absent, seen, budget).map((group) => confirmation(group.range, group.absent, seen));
}

/** The ranges of `confirmations`, before any witness is chosen (`seen` may be empty). */
export function absentRanges(
  absent: readonly number[],
  seen: readonly number[],
  budget: number,
): { range: KeyRange; absent: number[] }[] {
  const most = Math.max(1, budget);
  const out: { range: KeyRange; absent: number[] }[] = [];
  for (let i = 0; i < absent.length; ) {
    const from = absent[i] as number;
    let j = i + 1;
    while (j < absent.length) {
      const next = absent[j] as number;
      const rows = j - i + 1 + (lowerBound(seen, next + 1) - lowerBound(seen, from));
      if (rows > most) break;
      j++;
    }
    const to = (absent[j - 1] as number) + 1;
    out.push({ range: { from, to }, absent: absent.slice(i, j) });
    i = j;
  }
  return out;
}

/** A confirmation of these absent ids over `range`, with its witness. */
export function confirmation(range: KeyRange, ids: number[], seen: readonly number[]): Confirmation {
  const start = lowerBound(seen, range.from);
  const seenInside = seen.slice(start, lowerBound(seen, range.to));
  if (seenInside.length > 0) return { range, absent: ids, seenInside };
  // The nearest returned id after the range, else the last before it.
  const witness = (seen[start] ?? seen[start - 1]) as number;
  return { range, absent: ids, seenInside, witness };
}

/** `parametros` of a confirming request: the range, and the witness by `=` (Siesa's own OR form). */
export function confirmationParametros(check: Confirmation, erpCompany: number): string {
  const range = rangeParametros(check.range, erpCompany);
  if (check.witness === undefined) return range;
  const { from, to } = check.range;
  return `f120_id_cia = ${erpCompany} AND ((f120_id >= ${from} AND f120_id < ${to}) OR f120_id = ${check.witness})`;
}
