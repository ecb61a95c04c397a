/**
 * One process at a time in a directory (the embedded DynamoDB's LevelDB data, which a second process
 * would crash on at its first request), and how a process that claimed it is known to be gone.
 *
 * A claim is a numbered file in `<dir>/owner/` naming its process. It is made by an exclusive create
 * (a hard link to a file already written, so a claim never appears half-written): of processes racing
 * for the same number exactly one gets it. The highest number is the claim in force; a higher one is
 * made only over a holder that is gone, and a process that finds a higher claim than the one it just
 * made lost a race and looks again. A holder never removes its own claim (the next process finds it
 * gone): a removal could let a process that read it just before in beside a newcomer.
 */
import { randomUUID } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";

/** A process of this machine, told apart from a later one that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  /** When it started (Linux: clock ticks after boot, from /proc/<pid>/stat); absent elsewhere. */
  startTime?: string;
  host?: string;
  /** What it runs, for people: `npm run start`, `node runtime/cli/sync.ts`. */
  command?: string;
}

/** The claims' folder inside the claimed directory (what a reset of the directory keeps). */
export const OWNER_DIR = "owner";
/** Claims change hands in microseconds; this many looks without settling means something is wrong. */
const MAX_LOOKS = 100;
const HAS_PROC = existsSync("/proc/self/stat");

/** State and start time from /proc/<pid>/stat; undefined when there is no such process. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
}

/** This process (or `pid`, for tests), as a claim records it. */
export function processIdentity(pid: number = process.pid): ProcessIdentity {
  const startTime = procStat(pid)?.startTime;
  return { pid, ...(startTime ? { startTime } : {}), host: hostname(), command: commandOf() };
}

/** `npm run <script>` when npm started this very script (its variables are inherited further), else `node <script>`. */
function commandOf(): string {
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) : "";
  const event = process.env.npm_lifecycle_event;
  if (event && script && process.env.npm_lifecycle_script?.includes(script)) return `npm run ${event}`;
  return script ? `node ${script}` : "node";
}

/** Whether a pid exists at all (EPERM: it does, owned by someone else). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a process is gone: its pid no longer exists, it has exited but not been reaped (a zombie
 * still answers kill(pid, 0)), or its pid now belongs to a process started at another time.
 * Without /proc (macOS) only the first can be seen.
 */
export function isProcessGone(owner: Pick<ProcessIdentity, "pid" | "startTime">): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return true;
  if (!HAS_PROC) return !pidExists(owner.pid);
  const stat = procStat(owner.pid);
  if (!stat) return true;
  if (stat.state === "Z" || stat.state === "X") return true;
  return owner.startTime !== undefined && owner.startTime !== stat.startTime;
}

const sameProcess = (a: ProcessIdentity, b: ProcessIdentity) =>
  a.pid === b.pid && a.startTime === b.startTime;

/** The number of the claim in force (0: none yet). */
function highest(owners: string): number {
  let top = 0;
  for (const name of readdirSync(owners)) if (/^\d+$/.test(name)) top = Math.max(top, Number(name));
  return top;
}

/** The process a claim names; undefined when it was replaced meanwhile, null when unreadable. */
function holderOf(owners: string, n: number): ProcessIdentity | undefined | null {
  let text: string;
  try {
    text = readFileSync(join(owners, String(n)), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as ProcessIdentity;
    return Number.isInteger(holder.pid) ? holder : null;
  } catch {
    return null;
  }
}

/**
 * Claims `dir` for `self`: undefined once it is ours (or was already), else the live process that
 * holds it. A holder that is gone (see isProcessGone) or a claim nobody can read is taken over.
 */
export function claimDirectory(
  dir: string,
  self: ProcessIdentity = processIdentity(),
): ProcessIdentity | undefined {
  const owners = join(dir, OWNER_DIR);
  mkdirSync(owners, { recursive: true });
  const draft = join(owners, `draft-${self.pid}-${randomUUID()}`);
  writeFileSync(draft, JSON.stringify(self));
  try {
    for (let look = 0; look < MAX_LOOKS; look++) {
      const top = highest(owners);
      if (top > 0) {
        const holder = holderOf(owners, top);
        if (holder === undefined) continue;
        if (holder && sameProcess(holder, self)) return undefined;
        if (holder && !isProcessGone(holder)) return holder;
      }
      const mine = top + 1;
      try {
        linkSync(draft, join(owners, String(mine)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      if (highest(owners) === mine) {
        for (const name of readdirSync(owners)) {
          if (/^\d+$/.test(name) && Number(name) < mine) rmSync(join(owners, name), { force: true });
        }
        return undefined;
      }
      // A number that an earlier winner had cleared away: a newer claim stands above it.
      rmSync(join(owners, String(mine)), { force: true });
    }
    throw new Error(`could not claim ${dir}: its claims in ${owners} kept changing`);
  } finally {
    rmSync(draft, { force: true });
  }
}
