/**
 * GET /health/details reports why a table or queue did not answer by the error's kind only: an AWS
 * SDK message can name the account, the role and the resource's ARN ("User: arn:aws:sts::…:assumed-role/…
 * is not authorized to perform …"), which is nobody's business outside the account.
 */
export function summariseAwsError(error: unknown): string {
  const name =
    error instanceof Error && /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(error.name) ? error.name : "Error";
  if (/NotFound|DoesNotExist/.test(name)) return `not found (${name})`;
  if (/AccessDenied|Unauthori[sz]ed|Forbidden/.test(name)) return `access denied (${name})`;
  if (/Throttl|TooManyRequests|LimitExceeded/.test(name)) return `throttled (${name})`;
  if (/Timeout|Abort/.test(name)) return `no answer (${name})`;
  return `failed (${name})`;
}

/** The probe, failing with only the summary of its error. */
export const summarisedProbe =
  (probe: () => Promise<void>): (() => Promise<void>) =>
  async () => {
    try {
      await probe();
    } catch (error) {
      throw new Error(summariseAwsError(error));
    }
  };
