import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import kong from "../../mappings/kong.js";
import {
  buildRegistry,
  loadTenants,
  TenantConfigErrors,
  UnknownTenantError,
} from "../../runtime/tenants/registry.js";
import type { TenantInput } from "../../runtime/tenants/schema.js";
import { anEntry, aTenantInput } from "./factories.js";

/** The messages buildRegistry refuses the entries with (fails the test if it accepts them). */
function problemsOf(...entries: ReturnType<typeof anEntry>[]): string[] {
  try {
    buildRegistry(entries);
  } catch (error) {
    if (error instanceof TenantConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  throw new Error("expected the tenants to be refused");
}

function changed(change: (tenant: TenantInput & Record<string, unknown>) => void): TenantInput {
  const tenant = aTenantInput();
  change(tenant);
  return tenant;
}

describe("the shipped tenants", () => {
  it("load, validate and are selected by environment", async () => {
    const registry = await loadTenants();

    expect(registry.all().map((t) => t.id)).toEqual(["demo", "parchita-prod", "parchita-staging"]);
    expect(registry.forEnvironment("staging").map((t) => t.id)).toEqual(["parchita-staging"]);
    expect(registry.forEnvironment("production").map((t) => t.id)).toEqual(["parchita-prod"]);
    expect(registry.forEnvironment("local").map((t) => t.id)).toEqual(["demo"]);
  });

  it("carry the seed's values for Parchita", async () => {
    const registry = await loadTenants();

    const prod = registry.require("parchita-prod");
    expect(prod).toMatchObject({
      clientAccount: "901792597114",
      siesa: { baseUrl: "https://servicios.siesacloud.com/api/siesa/v3/", companyId: 8585, erpCompany: 1 },
      product: {
        type: "kong-rfid",
        baseUrl: "https://api.technoapes.io/",
        endpoints: { skus: "/inventory/skus/" },
      },
      sync: { schedule: "rate(30 minutes)", batchSize: 100, retryAttempts: 3 },
      mapping: "kong",
    });
    expect(registry.require("parchita-staging")).toMatchObject({
      clientAccount: "555569220783",
      siesa: { baseUrl: "https://serviciosqa.siesacloud.com/api/siesa/v3/" },
      product: { baseUrl: "https://api-staging.technoapes.io/" },
      sync: { schedule: "rate(1 hour)", batchSize: 100, retryAttempts: 3 },
    });
  });
});

describe("sync settings a tenant file leaves out", () => {
  it("get their documented defaults", () => {
    const input = aTenantInput();

    const tenant = buildRegistry([anEntry(input)]).require(input.id);

    expect(tenant.sync).toEqual({
      schedule: "rate(1 hour)",
      batchSize: 100,
      retryAttempts: 3,
      concurrency: 4,
      maxRunMinutes: 60,
    });
  });
});

describe("looking tenants up", () => {
  const registry = buildRegistry([
    anEntry(aTenantInput("beta-co")),
    anEntry(aTenantInput("acme-co"), "tenants/b.ts"),
  ]);

  it("finds a tenant by id", () => {
    expect(registry.get("acme-co")?.id).toBe("acme-co");
    expect(registry.get("nobody")).toBeUndefined();
  });

  it("names the known ids when a required tenant does not exist", () => {
    expect(() => registry.require("nobody")).toThrow(UnknownTenantError);
    expect(() => registry.require("nobody")).toThrow('unknown tenant "nobody" (known: acme-co, beta-co)');
  });
});

describe("a bad tenant file is refused with file, field and problem", () => {
  it.each<[string, (t: TenantInput & Record<string, unknown>) => void, string]>([
    [
      "an unknown key",
      (t) => {
        t.password = "hunter2";
      },
      "tenants/acme.ts: password: unknown field (a tenant file holds only the documented fields, and never secrets)",
    ],
    [
      "a nested unknown key",
      (t) => {
        (t.siesa as Record<string, unknown>).conniToken = "eyJ...";
      },
      "tenants/acme.ts: siesa.conniToken: unknown field",
    ],
    [
      "a credential among the product defaults",
      (t) => {
        t.product.defaults.api_key = "abc";
      },
      "tenants/acme.ts: product.defaults.api_key: looks like a credential: secrets belong in Secrets Manager",
    ],
    [
      "a URL that is not one",
      (t) => {
        t.product.baseUrl = "api.technoapes.io";
      },
      'tenants/acme.ts: product.baseUrl: must be an absolute URL (got "api.technoapes.io")',
    ],
    [
      "http outside the local environment",
      (t) => {
        t.siesa.baseUrl = "http://serviciosqa.siesacloud.com/api/siesa/v3/";
      },
      'tenants/acme.ts: siesa.baseUrl: must use https:// outside the local environment (got "http://serviciosqa.siesacloud.com/api/siesa/v3/")',
    ],
    [
      "credentials in a URL, without repeating them",
      (t) => {
        t.product.baseUrl = "https://admin:s3cret@api.technoapes.io/";
      },
      "tenants/acme.ts: product.baseUrl: must not contain credentials: they belong in Secrets Manager",
    ],
    [
      "a batch size Siesa cannot serve",
      (t) => {
        t.sync.batchSize = 500;
      },
      "tenants/acme.ts: sync.batchSize: must be at most 100 (got 500)",
    ],
    [
      "a rate with a plural unit for 1",
      (t) => {
        t.sync.schedule = "rate(1 minutes)";
      },
      "tenants/acme.ts: sync.schedule: rate(1 minutes): a rate of 1 takes a singular unit (minute)",
    ],
    [
      "a five-field cron",
      (t) => {
        t.sync.schedule = "cron(0 * * * *)";
      },
      "tenants/acme.ts: sync.schedule: cron(0 * * * *): cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5",
    ],
    [
      "an unknown mapping",
      (t) => {
        t.mapping = "kongg";
      },
      'tenants/acme.ts: mapping: unknown mapping "kongg" (known: kong, wms)',
    ],
    [
      "a mapping for another product",
      (t) => {
        t.mapping = "wms";
      },
      'tenants/acme.ts: mapping: mapping "wms" is for product wms, but product.type is kong-rfid',
    ],
    [
      "a product default the mapping needs but the tenant lacks",
      (t) => {
        delete t.product.defaults.group_id;
      },
      'tenants/acme.ts: product.defaults.group_id: required: missing (mapping "kong", payload.group_id)',
    ],
    [
      "a product default the mapping cannot use",
      (t) => {
        t.product.defaults.type_id = "shirts";
      },
      'tenants/acme.ts: product.defaults.type_id: must be an integer (got shirts) (mapping "kong", payload.type_id)',
    ],
    [
      "an id that cannot be part of a resource name",
      (t) => {
        t.id = "Acme_Staging";
      },
      'tenants/acme.ts: id: must be lower-kebab-case (a-z, 0-9, single dashes, starting with a letter) (got "Acme_Staging")',
    ],
    [
      "a client account that is not an AWS account id",
      (t) => {
        t.clientAccount = "5555-6922";
      },
      'tenants/acme.ts: clientAccount: must be a 12-digit AWS account id (got "5555-6922")',
    ],
    [
      "an unknown environment",
      (t) => {
        (t as Record<string, unknown>).environment = "prod";
      },
      'tenants/acme.ts: environment: must be one of "staging", "production", "local" (got "prod")',
    ],
    [
      "a missing field",
      (t) => {
        delete (t as Partial<TenantInput>).clientAccount;
      },
      "tenants/acme.ts: clientAccount: missing",
    ],
  ])("%s", (_case, change, message) => {
    expect(problemsOf(anEntry(changed(change)))).toEqual([expect.stringContaining(message)]);
  });

  it("accepts plain http for a local tenant", () => {
    const local = changed((t) => {
      t.environment = "local";
      t.siesa.baseUrl = "http://127.0.0.1:4010/api/siesa/v3/";
      t.product.baseUrl = "http://127.0.0.1:4020/";
    });

    expect(buildRegistry([anEntry(local)]).forEnvironment("local")).toHaveLength(1);
  });

  it("refuses a duplicate id naming both files, even when the first file has other problems", () => {
    const first = changed((t) => {
      t.sync.batchSize = 0;
    });

    expect(problemsOf(anEntry(first, "tenants/a.ts"), anEntry(aTenantInput(), "tenants/b.ts"))).toEqual([
      "tenants/a.ts: sync.batchSize: must be at least 1 (got 0)",
      'tenants/b.ts: id: duplicate id "acme-staging" (also defined in tenants/a.ts)',
    ]);
  });

  it("collects every problem of every file", () => {
    const one = changed((t) => {
      t.sync.batchSize = 500;
      t.sync.schedule = "rate(1 minutes)";
    });
    const two = changed((t) => {
      t.id = "other-co";
      t.mapping = "nope";
    });

    const problems = problemsOf(anEntry(one, "tenants/one.ts"), anEntry(two, "tenants/two.ts"));

    expect(problems).toEqual([
      "tenants/one.ts: sync.schedule: rate(1 minutes): a rate of 1 takes a singular unit (minute)",
      "tenants/one.ts: sync.batchSize: must be at most 100 (got 500)",
      'tenants/two.ts: mapping: unknown mapping "nope" (known: kong, wms)',
    ]);
  });

  it("reports a mapping that does not compile against the tenant that names it", () => {
    const broken = { ...kong, payload: { external_id: { from: "sku", pipe: ["trimm"] } } } as never;

    let message = "";
    try {
      buildRegistry([anEntry(aTenantInput())], { mappings: { kong: broken } });
    } catch (error) {
      message = String(error);
    }

    expect(message).toContain(
      'tenants/acme.ts: mapping: mapping "kong" is invalid: - payload.external_id.pipe[0]: unknown transform "trimm"',
    );
  });
});

describe("tenant files on disk", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("names the file that cannot be loaded or exports nothing, and still checks the others", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
    const define = fileURLToPath(new URL("../../runtime/tenants/define.ts", import.meta.url));
    const good = aTenantInput("good-co");
    await writeFile(
      path.join(dir, "good-co.ts"),
      `import { defineTenant } from ${JSON.stringify(define)};\nexport default defineTenant(${JSON.stringify(good)});\n`,
    );
    await writeFile(path.join(dir, "broken.ts"), "export default {\n");
    await writeFile(path.join(dir, "empty.ts"), "export const nothing = 1;\n");
    await writeFile(path.join(dir, "notes.md"), "not a tenant\n");
    await writeFile(
      path.join(dir, "bad-batch.ts"),
      `export default ${JSON.stringify({ ...aTenantInput("bad-batch"), sync: { schedule: "rate(1 hour)", batchSize: 500 } })};\n`,
    );

    const failure = await loadTenants({ dir }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TenantConfigErrors);
    const messages = (failure as TenantConfigErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      `${path.join(dir, "bad-batch.ts")}: sync.batchSize: must be at most 100 (got 500)`,
      expect.stringMatching(new RegExp(`^${path.join(dir, "broken.ts")}: \\(file\\): cannot be loaded: `)),
      `${path.join(dir, "empty.ts")}: (file): no default export: write \`export default defineTenant({...})\``,
    ]);
  });
});
