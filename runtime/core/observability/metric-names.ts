/**
 * EMF metric names and dimensions, shared by the workers (which emit them through Powertools
 * Metrics) and the Pulumi program (whose alarms and dashboard read them). Rename here or nowhere.
 */
export const METRIC_NAMESPACE = "SiesaIntegration";

/** Our name in logs and metrics (Powertools adds it to every metric's dimensions as `service`). */
export const SERVICE_NAME = "siesa-integration";

export const METRICS = {
  /** 1 per finished run; with dimension `status` (succeeded | partial | failed) beside `tenantId`. */
  runFinished: "RunFinished",
  /** 1 per run that ended `failed`: alarms compute the failure rate as RunFailed / RunFinished. */
  runFailed: "RunFailed",
  runDuration: "RunDurationSeconds",
  recordsCreated: "RecordsCreated",
  recordsUpdated: "RecordsUpdated",
  recordsUnchanged: "RecordsUnchanged",
  recordsRejected: "RecordsRejected",
  recordsFailed: "RecordsFailed",
  /** Records set inactive in the product (absent from a complete extraction), and brought back. */
  recordsDeactivated: "RecordsDeactivated",
  recordsReactivated: "RecordsReactivated",
  /** Deactivations found but held for an operator's approval (more than the tenant's limit). */
  deactivationsHeld: "DeactivationsHeld",
  /** 1 per run that failed because most of its rows were rejected for one reason (drift). */
  runDrift: "RunDrift",
  /**
   * 1 per external error seen by a worker; dimensions `api` (siesa | kong-rfid | wms, or secrets and
   * internal: runtime/core/steps/failures.ts) and `status`.
   */
  apiErrors: "ApiErrors",
  /** 1 per message the dead-letter consumer settled; dimension `queue` (syncRequests | units | loads | verifyRequests). */
  deadLettered: "DeadLettered",
  /** 1 per failed reload of the API's token list (runtime/edges/aws/tokens.ts); dimension `stack` only. */
  tokenListReloadFailed: "TokenListReloadFailed",
  /** Events a step could not hand to the notifications queue (the run went on); dimension `tenantId`. */
  notificationsNotRaised: "NotificationsNotRaised",
  /** A notification's last delivery failed (it is dead-lettered); dimensions `tenantId` and `channel`. */
  notificationsUndeliverable: "NotificationsUndeliverable",
} as const;

export const DIMENSIONS = {
  tenant: "tenantId",
  stack: "stack",
  status: "status",
  api: "api",
  queue: "queue",
  channel: "channel",
} as const;
