import type { SiesaRow } from "../core/domain/model.js";
import type { Tenant } from "../core/domain/tenant.js";
import { ExternalCallError } from "../core/ports/call-errors.js";
import type { ProbeCheck } from "../core/ports/probe.js";
import { SiesaAuthError } from "../core/ports/siesa-errors.js";
import { withoutSecrets } from "../edges/http/secret-text.js";

/**
 * What the contract probe's parts share (runtime/wiring/probe.ts): how a check passes, fails or is
 * skipped, and the external id of what a `--write` probe writes.
 */

export class Failed extends Error {}
export class Skipped extends Error {}

/**
 * The external id of the one record (and, for a warehouses stream, the one location) a `--write`
 * probe writes for a tenant: not a number, so never a Siesa f120_id (the sync's external ids) nor a
 * warehouse's; the same on every probe, so it is found again, not created twice; and the tenant's
 * own, so tenants of one Kong (whose external ids may be unique across its customers) never meet
 * each other's.
 */
export const probeExternalId = (tenant: Pick<Tenant, "id">) => `siesa-integration-probe-${tenant.id}`;

type Check = (writing: () => void) => Promise<string>;

/**
 * Runs the named checks in order; each returns its detail, throws Failed / Skipped, or any error
 * (failed). A check calls `writing()` right before it sends a write: its line says it wrote, and the
 * first write of the list is announced first.
 */
export class Checklist {
  readonly checks: ProbeCheck[] = [];
  #announced = false;
  constructor(
    private readonly secrets: readonly string[],
    private readonly announce: () => void = () => {},
  ) {}

  /** The check's line keeps its place in the list even when checks run at the same time. */
  run(name: string, check: Check): Promise<boolean> {
    return this.hold(name)(check);
  }

  /** Takes a line's place now for a check run later: one that needs what the lines below it find. */
  hold(name: string): (check: Check) => Promise<boolean> {
    const line: ProbeCheck = { name, status: "ok", detail: "" };
    this.checks.push(line);
    const writing = () => {
      line.wrote = true;
      if (!this.#announced) this.announce();
      this.#announced = true;
    };
    return async (check) => {
      try {
        line.detail = this.mask(await check(writing));
        return true;
      } catch (error) {
        line.status = error instanceof Skipped ? "skipped" : "failed";
        line.detail = this.mask(describe(error));
        return false;
      }
    };
  }

  skip(name: string, why: string): void {
    this.checks.push({ name, status: "skipped", detail: why });
  }

  private mask(text: string): string {
    return withoutSecrets(text, this.secrets);
  }
}

function describe(error: unknown): string {
  if (error instanceof SiesaAuthError) return "credentials refused (HTTP 401)";
  if (error instanceof ExternalCallError) {
    if (error.status === "network" || error.status === "timeout")
      return `${error.host ?? error.service} did not answer (${error.status}): ${error.apiMessage}`;
    if (error.status === 401) return `credentials refused by ${error.host ?? error.service} (HTTP 401)`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The columns no row has. */
export function missingColumns(rows: readonly SiesaRow[], columns: readonly string[]): string[] {
  return columns.filter((column) => !rows.some((row) => column in row));
}
