import { hostname } from "node:os";
import type { Lease, LeaseOwner } from "../../core/ports/pipeline.js";
import { isProcessGone } from "./directory-claim.js";

/**
 * Local runs record their process on the tenant's lease: a `npm run sync` or `npm start` that was
 * killed leaves a lease whose process is gone (or a zombie), and the next run takes it over at once instead of
 * waiting for it to expire. Only a process on this machine can be checked; any other holder is
 * left to the lease's expiry, as in AWS.
 */
export function processLease(pid: number = process.pid): {
  owner: LeaseOwner;
  isDead(lease: Lease): boolean;
} {
  const host = hostname();
  return {
    owner: { host, pid },
    isDead(lease) {
      const owner = lease.owner;
      if (!owner || owner.host !== host || owner.pid === pid) return false;
      return isProcessGone({ pid: owner.pid });
    },
  };
}
