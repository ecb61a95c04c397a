import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { freePort } from "../../sandbox/free-port.js";
import { isolatedEnv, REPO, runScript, scriptCommand } from "../support/cli.js";

/** `npm start` as a user runs it: a real process, stopped by a real signal. */

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    // A child started in its own process group is killed with its group.
    try {
      if (child.spawnargs[0] === "npm") process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** Resolves true when the port can be listened on again (nothing holds it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * `npm start -- --items <n>` with this environment (`items: "kept"`: without `--items`): the script's
 * node command directly, or with `viaNpm`, npm itself in a process group of its own, as a terminal
 * runs it (Ctrl-C signals the group).
 */
function start(env: Record<string, string>, options: { items?: number | "kept"; viaNpm?: boolean } = {}) {
  const args = options.items === "kept" ? [] : ["--items", String(options.items ?? 20)];
  const child = options.viaNpm
    ? spawn("npm", ["start", "--", ...args], {
        cwd: REPO,
        env: isolatedEnv({ ...process.env, POWERTOOLS_LOG_LEVEL: "WARN", ...env }),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      })
    : spawn(process.execPath, [...scriptCommand("start"), ...args], {
        cwd: REPO,
        env: isolatedEnv({ ...process.env, POWERTOOLS_LOG_LEVEL: "WARN", ...env }),
        stdio: ["ignore", "pipe", "pipe"],
      });
  children.push(child);
  const stdout: string[] = [];
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => stdout.push(line));
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with the banner once it is printed; rejects if the process exits first. */
  const banner = async (): Promise<string[]> => {
    const deadline = Date.now() + 30_000;
    while (!stdout.some((l) => l.startsWith("Ctrl-C"))) {
      if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no banner after 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return stdout;
  };
  return { child, banner, exited, stderr: () => stderr };
}

/** Resolves once the tenant's active run has extracted records (the stack is busy). */
async function busy(statusUrl: string, headers: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = (await (await fetch(statusUrl, { headers })).json()) as {
      activeRun?: { counts?: { extracted?: number } };
    };
    if ((status.activeRun?.counts?.extracted ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the run never got going");
}

/** Processes started by `pid` (Linux); undefined where /proc does not tell. */
function childrenOf(pid: number): string[] | undefined {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean);
}

describe("npm start", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "serves the API on PORT with the SIESA_INTEGRATION_TOKEN operator token, and %s stops it, freeing the port",
    async (signal) => {
      const tenantIds = (await loadTenants()).forEnvironment("local").map((t) => t.id);
      // prepare
      const port = await freePort();
      const token = "local-operator-token-for-tests";
      const stack = start({ PORT: String(port), SIESA_INTEGRATION_TOKEN: token });
      const banner = await stack.banner();
      const apiUrl = `http://127.0.0.1:${port}`;

      // act
      const health = await fetch(`${apiUrl}/health`);
      const tenants = await fetch(`${apiUrl}/tenants`, { headers: { authorization: `Bearer ${token}` } });
      const withoutToken = await fetch(`${apiUrl}/tenants`);
      const spawned = childrenOf(stack.child.pid ?? 0);
      stack.child.kill(signal);
      const [code] = await stack.exited;

      // assess
      expect(banner.join("\n")).toContain(`API:            ${apiUrl}`);
      expect(banner.join("\n")).toContain(`operator token: ${token}`);
      expect(banner.join("\n")).toContain(`in a shell:     export PORT=${port} TOKEN=${token}`);
      expect(banner.join("\n")).toContain(
        `curl -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/tenants/${tenantIds[0]}/runs`,
      );
      expect(health.status).toBe(200);
      expect(tenants.status).toBe(200);
      expect(
        ((await tenants.json()) as { tenants: { id: string }[] }).tenants.map((t: { id: string }) => t.id),
      ).toEqual(tenantIds);
      expect(withoutToken.status).toBe(401);
      if (spawned) expect(spawned).toEqual([]); // one process: nothing can be left behind
      expect(code).toBe(signal === "SIGINT" ? 130 : 143);
      expect(stack.stderr()).not.toContain("ExperimentalWarning");
      expect(await portIsFree(port)).toBe(true);
    },
  );

  it("stops on one Ctrl-C in the middle of a run of 10,000 items: one stopped, exit 130, port free", async () => {
    // prepare: npm start in a process group of its own, as in a terminal, busy with a run
    const [tenant] = (await loadTenants()).forEnvironment("local");
    if (!tenant) throw new Error("no local tenant under tenants/ to run");
    const port = await freePort();
    const token = "local-operator-token-for-tests";
    const stack = start(
      { PORT: String(port), SIESA_INTEGRATION_TOKEN: token },
      { items: 10_000, viaNpm: true },
    );
    await stack.banner();
    const auth = { authorization: `Bearer ${token}` };
    const run = await fetch(`http://127.0.0.1:${port}/tenants/${tenant.id}/runs`, {
      method: "POST",
      headers: auth,
    });
    expect(run.status).toBe(202);
    await busy(`http://127.0.0.1:${port}/tenants/${tenant.id}/status`, auth);

    // act: Ctrl-C signals the whole group (npm relays it to its child as well)
    process.kill(-(stack.child.pid ?? 0), "SIGINT");
    const [code, signal] = await stack.exited;

    // assess
    const lines = stack.stderr().split("\n");
    expect(lines.filter((l) => l === "stopped")).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("SIGINT"))).toEqual(["SIGINT: stopping the local stack…"]);
    // npm waits for its child, then ends itself with the same signal: a shell shows that as 130.
    expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" });
    expect(await portIsFree(port)).toBe(true);
  }, 120_000);

  it("takes a signal relayed right after the first as the same one", async () => {
    // prepare
    const port = await freePort();
    const stack = start({ PORT: String(port) });
    await stack.banner();

    // act: what a relaying parent does
    stack.child.kill("SIGINT");
    stack.child.kill("SIGINT");
    const [code] = await stack.exited;

    // assess
    expect(stack.stderr()).not.toContain("again");
    expect(
      stack
        .stderr()
        .split("\n")
        .filter((l) => l === "stopped"),
    ).toHaveLength(1);
    expect(code).toBe(130);
  });

  it("keeps the sandbox catalogue of the last command when started without --items: its run deactivates nothing", async () => {
    // prepare: a sync of a 30-item catalogue, as `npm run sync -- --tenant <id> --items 30` leaves it
    const [tenantId] = (await loadTenants()).forEnvironment("local").map((t) => t.id);
    const state = { SIESA_INTEGRATION_DATA_DIR: mkdtempSync(join(tmpdir(), "siesa-integration-state-")) };
    const synced = await runScript("sync", ["--tenant", String(tenantId), "--items", "30"], {
      env: { ...process.env, ...state },
    });
    expect(synced.code).toBe(0);
    const port = await freePort();
    const token = "local-operator-token-for-tests";

    // act: npm start in the same state, without --items, and a run
    const stack = start({ ...state, PORT: String(port), SIESA_INTEGRATION_TOKEN: token }, { items: "kept" });
    const banner = await stack.banner();
    const headers = { authorization: `Bearer ${token}` };
    const api = `http://127.0.0.1:${port}`;
    const { runId } = (await (
      await fetch(`${api}/tenants/${tenantId}/runs`, { method: "POST", headers })
    ).json()) as {
      runId: string;
    };
    let run: { status: string; counts: Record<string, number> } = { status: "running", counts: {} };
    const deadline = Date.now() + 30_000;
    while (run.status === "running" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = (await (await fetch(`${api}/runs/${runId}`, { headers })).json()) as typeof run;
    }
    stack.child.kill("SIGINT");
    await stack.exited;

    // assess
    expect(banner[0]).toContain("30 sandbox items each");
    expect(run.status).toBe("succeeded");
    expect(run.counts).toMatchObject({ extracted: 30, unchanged: 30, deactivated: 0 });
  });

  it("prints a new operator token when none is set", async () => {
    // act
    const stack = start({ PORT: String(await freePort()), SIESA_INTEGRATION_TOKEN: "" });
    const banner = await stack.banner();
    stack.child.kill("SIGTERM");
    await stack.exited;

    // assess
    const token =
      banner
        .find((l) => l.includes("operator token:"))
        ?.split(": ")[1]
        ?.trim() ?? "";
    expect(token).toMatch(/^sit_[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a PORT that is taken, naming it, and exits 1 having stopped what it started", async () => {
    // prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;

    try {
      // act
      const stack = start({ PORT: String(port) });
      const [code] = await stack.exited;

      // assess
      expect(code).toBe(1);
      expect(stack.stderr()).toContain(`start: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("says where notifications go and prints the signing secret it made, never one it was given", async () => {
    // act
    const made = start({ SIESA_INTEGRATION_WEBHOOK_URL: "http://127.0.0.1:9/hook" });
    const madeBanner = await made.banner();
    made.child.kill("SIGTERM");
    await made.exited;
    const given = start({
      SIESA_INTEGRATION_WEBHOOK_URL: "http://127.0.0.1:9/hook",
      SIESA_INTEGRATION_WEBHOOK_SECRET: "whsec-given-0123456789",
    });
    const givenBanner = await given.banner();
    given.child.kill("SIGTERM");
    await given.exited;

    // assess
    expect(madeBanner.find((l) => l.includes("webhook:"))).toMatch(
      /notifications POSTed to SIESA_INTEGRATION_WEBHOOK_URL, signed with [A-Za-z0-9_-]{32} /,
    );
    expect(givenBanner.find((l) => l.includes("webhook:"))).toContain(
      "signed with $SIESA_INTEGRATION_WEBHOOK_SECRET",
    );
    expect(givenBanner.join("\n")).not.toContain("whsec-given-0123456789");
  });

  it("refuses a webhook that is plain http to another host, naming the variable and not the URL", async () => {
    // act
    const stack = start({ SIESA_INTEGRATION_WEBHOOK_URL: "http://hooks.acme.example/siesa?token=tok3n" });
    const [code] = await stack.exited;

    // assess
    expect(code).toBe(1);
    expect(stack.stderr()).toContain(
      "start: SIESA_INTEGRATION_WEBHOOK_URL must be an https URL (http only for loopback), not http://hooks.acme.example",
    );
    expect(stack.stderr()).not.toContain("tok3n");
  });

  it("refuses a PORT that is not a port number", async () => {
    // act
    const stack = start({ PORT: "eighty" });
    const [code] = await stack.exited;

    // assess
    expect(code).toBe(1);
    expect(stack.stderr()).toContain('start: PORT must be a port number 1-65535 (got "eighty")');
  });
});
