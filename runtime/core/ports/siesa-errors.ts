/**
 * Siesa refused the ConniKey/ConniToken pair (HTTP 401). The run cannot start until someone fixes
 * the tenant's secret, so this is not retried. The message names the tenant, never the key or token.
 */
export class SiesaAuthError extends Error {
  override readonly name = "SiesaAuthError";
  constructor(readonly tenantId: string) {
    super(
      `Siesa rejected the ConniKey/ConniToken pair of tenant '${tenantId}' (HTTP 401): check the secret siesa-integration/${tenantId}/siesa`,
    );
  }
}

/**
 * Siesa answered rows the `parametros` filter excludes (it ignored the filter), or holds ids outside
 * the range the extraction covers. Completeness rests on that filter, so the run stops with this
 * reason instead of splitting forever or losing the records silently.
 */
export class SiesaFilterError extends Error {
  override readonly name = "SiesaFilterError";
}

/**
 * A confirming read (SiesaClient.stillAbsent) lacked a record this run had just read: Siesa's
 * answer was empty or short for a reason of its own, so it is no evidence that anything is gone.
 */
export class SiesaUnconfirmedError extends Error {
  override readonly name = "SiesaUnconfirmedError";
}

/**
 * Siesa refused a filter operator the client used, with an error naming it (a syntax error near
 * `IN`, `>=`…): its guide lists only `=`, `LIKE`, `AND` and `OR`. Where the client has another form
 * for the same question it asks that instead; where it has none the run stops with this reason, which
 * names the contract probe's line that shows the refusal.
 */
export class SiesaOperatorRefusedError extends Error {
  override readonly name = "SiesaOperatorRefusedError";
  constructor(
    readonly operator: string,
    /** Siesa's own words. */
    readonly apiMessage: string,
    message: string,
  ) {
    super(message);
  }
}
