/** Errors the store raises for a caller's mistake, so the API can answer 404 / 409 / 400 instead of 500. */

export class RunNotFoundError extends Error {
  override name = "RunNotFoundError";
  constructor(
    readonly tenantId: string,
    readonly runId: string,
  ) {
    super(`run ${runId} of tenant ${tenantId} does not exist`);
  }
}

export class RunAlreadyExistsError extends Error {
  override name = "RunAlreadyExistsError";
  constructor(
    readonly tenantId: string,
    readonly runId: string,
  ) {
    super(`run ${runId} of tenant ${tenantId} already exists; a run record is never overwritten`);
  }
}

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  /** Which list's cursor it claims to be, and whose: the runs of a tenant, the exceptions of a run. */
  constructor(what: { list: "runs" | "exceptions"; of: string }) {
    super(`the ${what.list} cursor is not one this service issued for ${what.of}`);
  }
}
