/**
 * Expected stock of one item in one warehouse and installation, as the last complete stock run read
 * it: what a count on the shelves is compared with.
 */
export interface ExpectedStock {
  /** The item's `f120_id`, the catalogue's identity for it. */
  item: number;
  /** Its reference (`f120_referencia`) when the rows carry it; references are renamed, ids are not. */
  reference: string | null;
  warehouse: string;
  installation: string;
  onHand: number;
  committed: number;
  pos: number;
  /** On hand less what the tenant's rule takes from it (default: committed and unposted POS). */
  expected: number;
}
