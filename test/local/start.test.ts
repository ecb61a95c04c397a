import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../sandbox/free-port.js";

/** `npm start` as a user runs it: a real process, stopped by a real signal. */

const START = fileURLToPath(new URL("../../runtime/cli/start.ts", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Resolves true when the port can be listened on again (nothing holds it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", START, "--items", "20"], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "WARN", ...env },
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
      expect(banner.join("\n")).toContain(
        `curl -X POST -H "Authorization: Bearer ${token}" ${apiUrl}/tenants/demo/runs`,
      );
      expect(health.status).toBe(200);
      expect(tenants.status).toBe(200);
      expect(JSON.stringify(await tenants.json())).toContain('"demo"');
      expect(withoutToken.status).toBe(401);
      if (spawned) expect(spawned).toEqual([]); // one process: nothing can be left behind
      expect(code).toBe(0);
      expect(await portIsFree(port)).toBe(true);
    },
  );

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

  it("refuses a PORT that is not a port number", async () => {
    // act
    const stack = start({ PORT: "eighty" });
    const [code] = await stack.exited;

    // assess
    expect(code).toBe(1);
    expect(stack.stderr()).toContain('start: PORT must be a port number 1-65535 (got "eighty")');
  });
});
