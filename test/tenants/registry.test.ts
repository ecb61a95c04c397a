import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import kong from "../../mappings/kong.js";
import { QUEUES, WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import { type TenantInput, UnknownTenantError } from "../../runtime/core/domain/tenant.js";
import {
  buildRegistry,
  DEFAULT_TENANTS_DIR,
  loadTenants,
  TenantConfigErrors,
} from "../../runtime/wiring/tenant-registry.js";
import { anEntry, aTenantInput, inProduction, ofAnotherClient } from "./factories.js";

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
  // What is in tenants/ is data a pull request changes: these assertions hold for any tenant set.
  it("load and validate, one tenant per file, named after its id", async () => {
    const files = (await readdir(DEFAULT_TENANTS_DIR)).filter((f) => f.endsWith(".ts")).sort();

    const registry = await loadTenants();

    expect(registry.all().map((t) => `${t.id}.ts`)).toEqual(files);
  });

  it("are split by environment with none left over", async () => {
    const registry = await loadTenants();

    const byEnvironment = (["staging", "production", "local"] as const).flatMap((environment) =>
      registry.forEnvironment(environment).map((t) => t.id),
    );

    expect(byEnvironment.sort()).toEqual(registry.all().map((t) => t.id));
  });
});

describe("a tenants directory", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads every tenant file and selects them by environment", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
    const inputs = [
      { ...aTenantInput("zz-fixture-staging"), environment: "staging" },
      inProduction(ofAnotherClient(aTenantInput("zz-fixture-prod"), 1)),
      { ...ofAnotherClient(aTenantInput("zz-fixture-other-staging"), 2), environment: "staging" },
    ];
    for (const input of inputs)
      await writeFile(path.join(dir, `${input.id}.ts`), `export default ${JSON.stringify(input)};\n`);

    const registry = await loadTenants({ dir });

    expect(registry.all().map((t) => t.id)).toEqual([
      "zz-fixture-other-staging",
      "zz-fixture-prod",
      "zz-fixture-staging",
    ]);
    expect(registry.forEnvironment("staging").map((t) => t.id)).toEqual([
      "zz-fixture-other-staging",
      "zz-fixture-staging",
    ]);
    expect(registry.forEnvironment("production").map((t) => t.id)).toEqual(["zz-fixture-prod"]);
    expect(registry.forEnvironment("local")).toEqual([]);
    expect(registry.require("zz-fixture-prod").sync).toMatchObject({
      schedule: "rate(1 hour)",
    });
  });
});

describe("sync settings a tenant file leaves out", () => {
  it("get their documented defaults", () => {
    const input = aTenantInput();

    const tenant = buildRegistry([anEntry(input)]).require(input.id);

    expect(tenant.sync).toEqual({
      schedule: "rate(1 hour)",
      retryAttempts: 3,
      concurrency: 4,
      maxRunMinutes: 60,
    });
  });
});

describe("looking tenants up", () => {
  const registry = buildRegistry([
    anEntry(aTenantInput("beta-co")),
    anEntry(ofAnotherClient(aTenantInput("acme-co"), 1)),
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
      "tenants/acme-staging.ts: password: unknown field (a tenant file holds only the documented fields, and never secrets)",
    ],
    [
      "a nested unknown key",
      (t) => {
        (t.siesa as Record<string, unknown>).conniToken = "eyJ...";
      },
      "tenants/acme-staging.ts: siesa.conniToken: unknown field",
    ],
    [
      "a credential among the product defaults",
      (t) => {
        t.product.defaults.api_key = "abc";
      },
      "tenants/acme-staging.ts: product.defaults.api_key: looks like a credential: secrets belong in Secrets Manager",
    ],
    [
      "Siesa's ConniKey among the product defaults",
      (t) => {
        t.product.defaults.conniKey = "0123456789abcdef";
      },
      "tenants/acme-staging.ts: product.defaults.conniKey: looks like a credential: secrets belong in Secrets Manager",
    ],
    [
      "an authorization header among the product defaults",
      (t) => {
        t.product.defaults.authorization = "dXNlcjpwYXNz";
      },
      "tenants/acme-staging.ts: product.defaults.authorization: looks like a credential: secrets belong in Secrets Manager",
    ],
    [
      "a URL that is not one",
      (t) => {
        t.product.baseUrl = "api.technoapes.io";
      },
      'tenants/acme-staging.ts: product.baseUrl: must be an absolute URL (got "api.technoapes.io")',
    ],
    [
      "http outside the local environment",
      (t) => {
        t.siesa.baseUrl = "http://serviciosqa.siesacloud.com/api/siesa/v3/";
      },
      'tenants/acme-staging.ts: siesa.baseUrl: must use https:// outside the local environment (got "http://serviciosqa.siesacloud.com/api/siesa/v3/")',
    ],
    [
      "credentials in a URL, without repeating them",
      (t) => {
        t.product.baseUrl = "https://admin:s3cret@api.technoapes.io/";
      },
      "tenants/acme-staging.ts: product.baseUrl: must not contain credentials: they belong in Secrets Manager",
    ],
    [
      "a batch size Siesa cannot serve",
      (t) => {
        t.sync.concurrency = 500;
      },
      "tenants/acme-staging.ts: sync.concurrency: must be at most 20, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) (got 500)",
    ],
    [
      "a rate with a plural unit for 1",
      (t) => {
        t.sync.schedule = "rate(1 minutes)";
      },
      "tenants/acme-staging.ts: sync.schedule: rate(1 minutes): a rate of 1 takes a singular unit (minute)",
    ],
    [
      "a five-field cron",
      (t) => {
        t.sync.schedule = "cron(0 * * * *)";
      },
      "tenants/acme-staging.ts: sync.schedule: cron(0 * * * *): cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5",
    ],
    [
      "an endpoint name its product's clients never read (the default path would be used instead)",
      (t) => {
        t.product.endpoints = { sku: "/v2/inventory/skus/" };
      },
      'tenants/acme-staging.ts: product.endpoints: "sku" is no endpoint of kong-rfid (its endpoints: skus, locations, login): an unknown name is never read, so its default path would be used',
    ],
    [
      "an unknown mapping",
      (t) => {
        t.mapping = "kongg";
      },
      'tenants/acme-staging.ts: mapping: unknown mapping "kongg" (known: kong, wms)',
    ],
    [
      "a mapping for another product",
      (t) => {
        t.mapping = "wms";
      },
      'tenants/acme-staging.ts: mapping: mapping "wms" is for product wms, but product.type is kong-rfid',
    ],
    [
      "a product default the mapping needs but the tenant lacks",
      (t) => {
        delete t.product.defaults.group_id;
      },
      'tenants/acme-staging.ts: product.defaults.group_id: required: missing (mapping "kong", payload.group_id)',
    ],
    [
      "a product default the mapping cannot use",
      (t) => {
        t.product.defaults.type_id = "shirts";
      },
      'tenants/acme-staging.ts: product.defaults.type_id: must be an integer (got shirts) (mapping "kong", payload.type_id)',
    ],
    [
      "an id that cannot be part of a resource name",
      (t) => {
        t.id = "Acme_Staging";
      },
      'tenants/Acme_Staging.ts: id: must be lower-kebab-case (a-z, 0-9, single dashes, starting with a letter) (got "Acme_Staging")',
    ],
    [
      "a client account that is not an AWS account id",
      (t) => {
        t.clientAccount = "5555-6922";
      },
      'tenants/acme-staging.ts: clientAccount: must be a 12-digit AWS account id (got "5555-6922")',
    ],
    [
      "an unknown environment",
      (t) => {
        (t as Record<string, unknown>).environment = "prod";
      },
      'tenants/acme-staging.ts: environment: must be one of "staging", "production", "local" (got "prod")',
    ],
    [
      "a missing field",
      (t) => {
        delete (t as Partial<TenantInput>).clientAccount;
      },
      "tenants/acme-staging.ts: clientAccount: missing",
    ],
  ])("%s", (_case, change, message) => {
    expect(problemsOf(anEntry(changed(change)))).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    ["a token (Siesa's ConniToken is a JWT)", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl"],
    ["a hex key (Siesa's ConniKey)", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ["an authorization header", "Bearer abc.def"],
  ])("refuses %s as a product default's value under any name, without repeating it", (_case, secret) => {
    const tenant = changed((t) => {
      t.product.defaults.group = secret;
    });

    expect(problemsOf(anEntry(tenant))).toEqual([
      "tenants/acme-staging.ts: product.defaults.group: looks like a credential (a token or key): secrets belong in Secrets Manager",
    ]);
  });

  it("refuses a production tenant on Siesa's QA host or Kong's staging host, naming each: the prod stack would sync test data", () => {
    // As a staging file copied into a production one looks when only its environment was changed.
    const copied = changed((t) => {
      t.environment = "production";
    });

    expect(problemsOf(anEntry(copied))).toEqual([
      'tenants/acme-staging.ts: siesa.baseUrl: serviciosqa.siesacloud.com is Siesa\'s QA host, and environment is "production": a production tenant reads servicios.siesacloud.com (or is its environment wrong?)',
      'tenants/acme-staging.ts: product.baseUrl: api-staging.technoapes.io is Kong\'s staging host, and environment is "production": a production tenant writes to api.technoapes.io (or is its environment wrong?)',
    ]);
  });

  it("refuses a product default nothing reads, naming what the mapping reads: a typo would leave the field unsent", () => {
    const wms = changed((t) => {
      t.product = {
        type: "wms",
        baseUrl: "https://wms.acme.example/",
        endpoints: {},
        defaults: { recepton_type: "GENERAL", "inventory_unit.KLS": "KILOGRAM", presentation: "UNIDAD" },
      };
      t.mapping = "wms";
    });

    expect(problemsOf(anEntry(wms))).toEqual([
      'tenants/acme-staging.ts: product.defaults.recepton_type: is read by nothing (mapping "wms" reads presentation, reception_type, inventory_unit.<value>)',
    ]);
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
      t.sync.concurrency = 0;
    });

    const copy = anEntry(aTenantInput(), "tenants/acme-staging-copy.ts");
    expect(problemsOf(anEntry(first), copy)).toEqual([
      'tenants/acme-staging-copy.ts: id: duplicate id "acme-staging" (also defined in tenants/acme-staging.ts)',
      'tenants/acme-staging-copy.ts: id: the file is named "acme-staging-copy" but the id is "acme-staging": a tenant file is named after its id (rename it to acme-staging.ts, or set id: "acme-staging-copy")',
      "tenants/acme-staging.ts: sync.concurrency: must be at least 1 (got 0)",
    ]);
  });

  it("refuses a file whose name is not its id, naming both", () => {
    expect(problemsOf(anEntry(aTenantInput("bar"), "tenants/foo.ts"))).toEqual([
      'tenants/foo.ts: id: the file is named "foo" but the id is "bar": a tenant file is named after its id (rename it to bar.ts, or set id: "foo")',
    ]);
  });

  it("names every unknown field of a file, two typos in one object included", () => {
    const typos = changed((t) => {
      (t.sync as Record<string, unknown>).concurrncy = 4;
      (t.sync as Record<string, unknown>).retryAtempts = 3;
      t.pasword = "hunter2";
    });

    expect(problemsOf(anEntry(typos))).toEqual(
      ["sync.concurrncy", "sync.retryAtempts", "pasword"].map(
        (field) =>
          `tenants/acme-staging.ts: ${field}: unknown field (a tenant file holds only the documented fields, and never secrets)`,
      ),
    );
  });

  it("collects every problem of every file", () => {
    const one = changed((t) => {
      t.sync.concurrency = 500;
      t.sync.schedule = "rate(1 minutes)";
    });
    const two = ofAnotherClient(
      changed((t) => {
        t.id = "other-co";
        t.mapping = "nope";
      }),
      1,
    );

    const problems = problemsOf(anEntry(one), anEntry(two));

    expect(problems).toEqual([
      "tenants/acme-staging.ts: sync.schedule: rate(1 minutes): a rate of 1 takes a singular unit (minute)",
      "tenants/acme-staging.ts: sync.concurrency: must be at most 20, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) (got 500)",
      'tenants/other-co.ts: mapping: unknown mapping "nope" (known: kong, wms)',
    ]);
  });

  it("checks the mapping of a file whose other fields are wrong too: every problem in one run", () => {
    const unknownMapping = changed((t) => {
      t.sync.schedule = "every hour";
      t.mapping = "kongg";
    });
    const missingDefault = changed((t) => {
      t.id = "other-co";
      t.clientAccount = "123";
      delete t.product.defaults.group_id;
    });
    const wrongProduct = changed((t) => {
      t.id = "third-co";
      t.product.baseUrl = "http://api-staging.technoapes.io/";
      t.mapping = "kongg";
    });

    expect(problemsOf(anEntry(unknownMapping), anEntry(missingDefault), anEntry(wrongProduct))).toEqual([
      'tenants/acme-staging.ts: sync.schedule: "every hour" is not an EventBridge Scheduler expression: use rate(...), cron(...) or at(...)',
      'tenants/acme-staging.ts: mapping: unknown mapping "kongg" (known: kong, wms)',
      'tenants/other-co.ts: clientAccount: must be a 12-digit AWS account id (got "123")',
      'tenants/other-co.ts: product.defaults.group_id: required: missing (mapping "kong", payload.group_id)',
      'tenants/third-co.ts: product.baseUrl: must use https:// outside the local environment (got "http://api-staging.technoapes.io/")',
      'tenants/third-co.ts: mapping: unknown mapping "kongg" (known: kong, wms)',
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
      'tenants/acme-staging.ts: mapping: mapping "kong" is invalid: - payload.external_id.pipe[0]: unknown transform "trimm"',
    );
  });
});

describe("a tenant's sync.concurrency", () => {
  // What the deployment gives every tenant at most: the units and loads queues' event source mappings.
  const deployed = Math.min(QUEUES.units.maximumConcurrency, QUEUES.loads.maximumConcurrency);

  it("may be as much as the units and loads queues run at once", () => {
    const tenant = changed((t) => {
      t.sync.concurrency = deployed;
    });

    expect(buildRegistry([anEntry(tenant)]).require(tenant.id).sync.concurrency).toBe(deployed);
  });

  it("is refused above it, naming the file, the field and where the limit comes from", () => {
    const tenant = changed((t) => {
      t.sync.concurrency = deployed + 1;
    });

    expect(problemsOf(anEntry(tenant))).toEqual([
      `tenants/acme-staging.ts: sync.concurrency: must be at most ${deployed}, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) (got ${deployed + 1})`,
    ]);
  });
});

describe("a tenant's sync.maxRunMinutes", () => {
  // A message of the run comes back to its worker only while one more invocation fits in the run
  // (returnBy, run-end.ts): a run no longer than the load worker's timeout retries nothing.
  const longest = Math.max(
    ...(["dispatch", "extract", "load", "settle"] as const).map((w) => WORKERS[w].timeoutSeconds),
  );
  const shortest = Math.floor(longest / 60) + 1;

  it("may be as short as one minute more than the longest invocation of a run's workers", () => {
    const tenant = changed((t) => {
      t.sync.maxRunMinutes = shortest;
    });

    expect(buildRegistry([anEntry(tenant)]).require(tenant.id).sync.maxRunMinutes).toBe(shortest);
  });

  it("is refused shorter, naming the file, the field and why: no failed write could be tried again", () => {
    const tenant = changed((t) => {
      t.sync.maxRunMinutes = shortest - 1;
    });

    expect(problemsOf(anEntry(tenant))).toEqual([
      `tenants/acme-staging.ts: sync.maxRunMinutes: must be at least ${shortest}: a run must outlast one invocation of its workers (the load worker may take ${longest} s, WORKERS in runtime/core/domain/pipeline-config.ts), or nothing that failed within it is tried again (got ${shortest - 1})`,
    ]);
  });
});

describe("a tenant's schedules", () => {
  // EventBridge Scheduler takes these and never invokes them: the tenant would simply never sync.
  it.each([
    ["a date that does not exist", "cron(0 6 30 FEB ? *)"],
    ["years that are over", "cron(0 6 * * ? 2020-2025)"],
    ["a one-time instant that has passed", "at(2025-06-01T06:00:00)"],
  ])("are refused when they never fire again: %s", (_case, expression) => {
    const tenant = changed((t) => {
      t.streams = { stock: { schedule: expression } };
    });

    expect(problemsOf(anEntry(tenant))).toEqual([
      `tenants/acme-staging.ts: streams.stock.schedule: ${expression} never fires after now: the stream would never sync`,
    ]);
  });

  it("are accepted when they fire again, however rarely", () => {
    const tenant = changed((t) => {
      t.sync.schedule = "cron(0 6 29 FEB ? *)";
    });

    expect(buildRegistry([anEntry(tenant)]).require(tenant.id).sync.schedule).toBe("cron(0 6 29 FEB ? *)");
  });
});

describe("a tenant's warehouses stream", () => {
  it("is refused with a blank location type or a padded parent, naming each: the product would refuse every warehouse", () => {
    const tenant = changed((t) => {
      t.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "  ", parent: "STORE-001 " } } };
    });

    expect(problemsOf(anEntry(tenant))).toEqual([
      "tenants/acme-staging.ts: streams.warehouses.location.type: must name the product's location type, e.g. E1, without spaces around it",
      "tenants/acme-staging.ts: streams.warehouses.location.parent: must be a location's external id, or null, without spaces around it",
    ]);
  });
});

describe("a tenant's schedule names", () => {
  // EventBridge Scheduler refuses a schedule name over 64 characters, and only at `pulumi up`.
  it("refuses an id that makes a schedule name too long in either stack, naming file, id, schedule and limit", () => {
    const id = "acme-with-a-rather-long-client-name";
    const long = changed((t) => {
      t.id = id;
      t.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: null } } };
    });

    expect(problemsOf(anEntry(long))).toEqual([
      `tenants/${id}.ts: id: "${id}" makes the schedule name "siesa-integration-staging-sync-${id}.warehouses" 77 characters long, over EventBridge Scheduler's limit of 64 (shorten the id to at most 22 characters)`,
    ]);
  });

  it("accepts the same id when the longest name it makes fits", () => {
    const id = "acme-with-a-longish-name-fits"; // 29 characters: no stream suffix, 31 of prefix
    const catalogueOnly = changed((t) => {
      t.id = id;
    });

    expect(buildRegistry([anEntry(catalogueOnly)]).get(id)?.id).toBe(id);
  });
});

describe("tenant files on disk", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("names the file that cannot be loaded or exports nothing, and still checks the others", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
    const define = fileURLToPath(new URL("../../runtime/core/domain/define-tenant.ts", import.meta.url));
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
      `export default ${JSON.stringify({ ...ofAnotherClient(aTenantInput("bad-batch"), 1), sync: { schedule: "rate(1 hour)", concurrency: 500 } })};\n`,
    );

    const failure = await loadTenants({ dir }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TenantConfigErrors);
    const messages = (failure as TenantConfigErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      `${path.join(dir, "bad-batch.ts")}: sync.concurrency: must be at most 20, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) (got 500)`,
      expect.stringMatching(new RegExp(`^${path.join(dir, "broken.ts")}: \\(file\\): cannot be loaded: `)),
      `${path.join(dir, "empty.ts")}: (file): no default export: write \`export default defineTenant({...})\``,
    ]);
  });
});

describe("a tenants directory holding what is not read", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is refused naming each folder and file that looks like a tenant but would never be deployed", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
    const tenant = (id: string) => `export default ${JSON.stringify(aTenantInput(id))};\n`;
    await writeFile(path.join(dir, "acme-staging.ts"), tenant("acme-staging"));
    await mkdir(path.join(dir, "production"));
    await writeFile(path.join(dir, "production", "acme-prod.ts"), tenant("acme-prod"));
    await writeFile(path.join(dir, "beta-staging.js"), tenant("beta-staging"));
    await writeFile(path.join(dir, "README.md"), "The tenants.\n");

    const failure = await loadTenants({ dir }).catch((error: unknown) => error);

    expect((failure as TenantConfigErrors).errors?.map((e) => e.message)).toEqual([
      `${path.join(dir, "beta-staging.js")}: (file): is never read: a tenant is a file <id>.ts directly in tenants/`,
      `${path.join(dir, "production")}: (file): is never read: a tenant is a file <id>.ts directly in tenants/`,
    ]);
  });
});

describe("a tenant that points at another tenant's client", () => {
  // As a new user tried it: parchita-staging.ts copied, only its id changed.
  const original = aTenantInput("parchita-staging");
  const copy = aTenantInput("acme-staging");

  it("is refused for each thing it shares, naming the other tenant and how to say why", () => {
    const problems = problemsOf(
      anEntry(original, "tenants/parchita-staging.ts"),
      anEntry(copy, "tenants/acme-staging.ts"),
    );

    const why = (other: string) =>
      `two tenants must not point at the same %s unless one of their files says why, with sharedWith: { "${other}": "<why>" }`;
    const line = (file: string, field: string, what: string, value: string, other: string) =>
      `tenants/${file}.ts: ${field}: shares its ${what} (${value}) with ${other} (tenants/${other}.ts): ${why(other).replace("%s", what)}`;
    const shared = [
      ["clientAccount", "client account", "555569220783"],
      ["siesa", "Siesa company", "serviciosqa.siesacloud.com company 8585, ERP company 1"],
      ["product", "product customer", "api-staging.technoapes.io customer 17"],
    ] as const;
    // Both files are named (which one is the copy is the reviewer's call), each file's lines together.
    expect(problems).toEqual([
      ...shared.map(([field, what, value]) => line("acme-staging", field, what, value, "parchita-staging")),
      ...shared.map(([field, what, value]) => line("parchita-staging", field, what, value, "acme-staging")),
    ]);
  });

  it("is refused for what it shares even when the copy has another problem: every problem in one run", () => {
    const copyWithTypo = { ...copy, sync: { schedul: "rate(1 hour)", schedule: "rate(1 hour)" } };

    const problems = problemsOf(anEntry(original), anEntry(copyWithTypo));

    expect(problems.filter((p) => p.startsWith("tenants/acme-staging.ts"))).toEqual([
      "tenants/acme-staging.ts: sync.schedul: unknown field (a tenant file holds only the documented fields, and never secrets)",
      expect.stringContaining(
        "tenants/acme-staging.ts: clientAccount: shares its client account (555569220783) with parchita-staging",
      ),
      expect.stringContaining("tenants/acme-staging.ts: siesa: shares its Siesa company"),
      expect.stringContaining("tenants/acme-staging.ts: product: shares its product customer"),
    ]);
  });

  it("is accepted when its file says why, and another client of the same hosts needs no reason", () => {
    const explained = {
      ...copy,
      sharedWith: { "parchita-staging": "Parchita's second store: same account, ERP and Kong customer" },
    };
    const other = ofAnotherClient(aTenantInput("beta-staging"), 1);

    const registry = buildRegistry([anEntry(original), anEntry(explained), anEntry(other)]);

    expect(registry.all().map((t) => t.id)).toEqual(["acme-staging", "beta-staging", "parchita-staging"]);
  });

  it("refuses a reason for a tenant that does not exist: a misspelt or stale one would waive the check for whoever takes that id", () => {
    const stale = { ...copy, sharedWith: { "parchita-stagin": "Parchita's second store: same account" } };

    expect(problemsOf(anEntry(original), anEntry(stale))).toContain(
      "tenants/acme-staging.ts: sharedWith.parchita-stagin: names no tenant (the tenants: acme-staging, parchita-staging)",
    );
  });

  it("refuses a reason too short to say anything", () => {
    const terse = { ...copy, sharedWith: { "parchita-staging": "ok" } };

    expect(problemsOf(anEntry(original), anEntry(terse))).toContain(
      "tenants/acme-staging.ts: sharedWith.parchita-staging: must say why the two tenants share it (at least 10 characters)",
    );
  });

  it("is refused for a Kong customer written another way, as the mapping sends it the same (017 is 17)", () => {
    const sameCustomer = ofAnotherClient(aTenantInput("acme-staging"), 1);
    sameCustomer.product.defaults.customer_id = " 017";

    expect(problemsOf(anEntry(original), anEntry(sameCustomer))).toEqual([
      'tenants/acme-staging.ts: product: shares its product customer (api-staging.technoapes.io customer 17) with parchita-staging (tenants/parchita-staging.ts): two tenants must not point at the same product customer unless one of their files says why, with sharedWith: { "parchita-staging": "<why>" }',
      'tenants/parchita-staging.ts: product: shares its product customer (api-staging.technoapes.io customer 17) with acme-staging (tenants/acme-staging.ts): two tenants must not point at the same product customer unless one of their files says why, with sharedWith: { "acme-staging": "<why>" }',
    ]);
  });

  it("shares a WMS instance only with a reason: its host is the customer", () => {
    const wms = (id: string, n: number) => {
      const input = ofAnotherClient(aTenantInput(id), n);
      return {
        ...input,
        product: { type: "wms" as const, baseUrl: "https://wms.acme.example/", endpoints: {}, defaults: {} },
        mapping: "wms",
      };
    };

    const problems = problemsOf(anEntry(wms("acme-staging", 1)), anEntry(wms("acme-two-staging", 2)));

    expect(problems).toHaveLength(2);
    expect(problems[1]).toBe(
      'tenants/acme-two-staging.ts: product: shares its product customer (wms.acme.example) with acme-staging (tenants/acme-staging.ts): two tenants must not point at the same product customer unless one of their files says why, with sharedWith: { "acme-staging": "<why>" }',
    );
  });
});

describe("local tenants", () => {
  it("may share the sandboxes' accounts: they are this machine's, not a client's", () => {
    const local = (id: string) => ({
      ...aTenantInput(id),
      environment: "local",
      siesa: { baseUrl: "http://127.0.0.1:4010/api/siesa/v3/", companyId: 8585, erpCompany: 1 },
      product: { ...aTenantInput(id).product, baseUrl: "http://127.0.0.1:4020/" },
    });

    const registry = buildRegistry([anEntry(local("demo")), anEntry(local("demo-two"))]);

    expect(registry.forEnvironment("local").map((t) => t.id)).toEqual(["demo", "demo-two"]);
  });
});
