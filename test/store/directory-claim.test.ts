import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { claimDirectory, processIdentity } from "../../runtime/edges/local/directory-claim.js";
import { type RunningDynalite, startDynalite } from "../../runtime/wiring/local-store.js";

// The embedded DynamoDB keeps its data in a directory only one process may open (LevelDB): the
// first `npm start` or `npm run sync` claims it, any other is refused with the holder's name until
// that process is gone. Shown with real processes.

const CHILD = fileURLToPath(new URL("./support/claim-child.ts", import.meta.url));
const PROC = existsSync("/proc/self/stat");

const children: ChildProcess[] = [];
const opened: RunningDynalite[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(opened.splice(0).map((dynalite) => dynalite.close()));
});

const freshDir = () => join(mkdtempSync(join(tmpdir(), "claim-")), "dynamodb");

/** A claim-child process and the lines it prints. */
function claimant(args: string[], command = process.execPath) {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => lines.push(line));
  const said = async (test: (line: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const line = lines.find(test);
      if (line !== undefined) return line;
      if (Date.now() > deadline) throw new Error(`claim-child said ${JSON.stringify(lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { child, lines, said };
}
const racer = () => claimant(["--import", "tsx", CHILD, "race"]);
/** What a racer said about `dir`: "won" or "refused: <why>". */
const verdictOn = async (dir: string, on: ReturnType<typeof claimant>) =>
  (await on.said((line) => line.startsWith(`${dir} `))).slice(dir.length + 1);
/** A racer told to open `dir` now, and what it said. */
async function heldBy(dir: string) {
  const holder = racer();
  await holder.said((line) => line === "ready");
  holder.child.stdin?.write(`go 0 ${dir}\n`);
  expect(await verdictOn(dir, holder)).toBe("won");
  return holder;
}

/** Opens the directory from this process; the error's message when refused. */
async function openHere(dir: string): Promise<string> {
  try {
    opened.push(await startDynalite({ path: dir }));
    return "won";
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];

describe("the data directory's claim", () => {
  it("lets exactly one of several processes starting at the same instant have the directory", async () => {
    // Prepare: three processes, each ready to claim a directory as soon as it is told
    const racers = [1, 2, 3].map(racer);
    await Promise.all(racers.map((r) => r.said((line) => line === "ready")));

    // Act: all told to claim the same directory at the same instant, in several rounds (a race
    // lost by luck in one round is not lost in all of them): opening the store as `npm start` does,
    // and claiming alone, where the racers are closest
    const rounds = [...Array(2).fill("open"), ...Array(10).fill("claim")].map((how: string) => ({
      dir: freshDir(),
      how,
      verdicts: [] as string[],
    }));
    for (const round of rounds) {
      const at = Date.now() + 100;
      for (const r of racers) r.child.stdin?.write(`go ${at} ${round.dir} ${round.how}\n`);
      round.verdicts = await Promise.all(racers.map((r) => verdictOn(round.dir, r)));
    }

    // Assess
    for (const { verdicts } of rounds) {
      expect(verdicts.filter((v) => v === "won")).toHaveLength(1);
      const winner = racers[verdicts.indexOf("won")]?.child.pid;
      for (const refused of verdicts.filter((v) => v !== "won")) {
        expect(refused).toContain(`in use by process ${winner}`);
      }
    }
  });

  it("refuses a second process while the first holds it, naming the first and what it runs", async () => {
    const dir = freshDir();
    const holder = await heldBy(dir);

    const second = await openHere(dir);

    // The holder is `node <script>` here; under npm, `npm run start` or `npm run probe`.
    expect(second).toBe(
      `refused: the local DynamoDB data in ${dir} is in use by process ${holder.child.pid} ` +
        `(node ${relative(process.cwd(), CHILD)}); stop it, or set SIESA_INTEGRATION_DATA_DIR to another directory`,
    );
  });

  it("is taken over from a process that has exited", async () => {
    const dir = freshDir();
    const earlier = claimant(["--import", "tsx", CHILD, "exit", dir]);
    // Listened for before anything is awaited: the child may exit as soon as it has said its verdict.
    const exited = new Promise((resolve) => earlier.child.once("exit", resolve));
    expect(await verdictOn(dir, earlier)).toBe("won");
    await exited;

    expect(await openHere(dir)).toBe("won");
  });

  it.skipIf(!PROC)(
    "is taken over from a process that has exited but was never reaped (a zombie)",
    async () => {
      // Prepare: the claimant's parent execs into `sleep`, which never waits for it: once it exits it
      // stays in the process table as a zombie, its pid still answering kill(pid, 0).
      const dir = freshDir();
      const shell = claimant(
        ["-c", `"${process.execPath}" --import tsx "${CHILD}" exit "${dir}" & echo "pid $!"; exec sleep 60`],
        "sh",
      );
      shell.child.stdin?.end();
      expect(await verdictOn(dir, shell)).toBe("won");
      const zombie = Number((await shell.said((line) => line.startsWith("pid "))).slice(4));
      const deadline = Date.now() + 10_000;
      while (stateOf(zombie) !== "Z" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(stateOf(zombie)).toBe("Z");

      // Act + assess
      expect(await openHere(dir)).toBe("won");
    },
  );

  it.skipIf(!PROC)("is taken over from a process whose pid now belongs to another program", async () => {
    // Prepare: a live program, and two claims naming its pid: one with its start time, one with
    // the start time of an earlier process that had the same pid
    const program = spawn("sleep", ["60"]);
    children.push(program);
    const pid = program.pid as number;
    const [itself, earlier] = [freshDir(), freshDir()];
    claimDirectory(itself, processIdentity(pid));
    claimDirectory(earlier, { ...processIdentity(pid), startTime: "1" });

    // Act + assess
    expect(await openHere(itself)).toContain(`in use by process ${pid} `);
    expect(await openHere(earlier)).toBe("won");
  });
});
