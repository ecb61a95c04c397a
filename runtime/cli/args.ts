/**
 * The one way every command reads its arguments and fails (start, sync, token, tenants:check, plan,
 * build, reset): `--help` prints the usage (options and an example) on stdout and exits 0; a missing or
 * wrong argument prints the problem and the usage on stderr and exits 1; any other failure prints
 * exactly one line on stderr and exits 1, unless `--verbose` asks for the details (stack trace).
 */
import { type ParseArgsOptionDescriptor, parseArgs } from "node:util";

/** One option: parseArgs' descriptor plus the line `--help` shows for it. */
export type OptionSpec = ParseArgsOptionDescriptor & { help: string; value?: string };

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** As typed, e.g. `npm run sync --`. */
  command: string;
  /** What stderr lines start with, e.g. `sync`. */
  name: string;
  /** What the command does, one sentence. */
  summary: string;
  /** The arguments after the command, e.g. `--tenant <id> [options]`. */
  synopsis: string;
  options: O;
  examples: readonly string[];
  /** Extra lines after the options (exit statuses, environment variables). */
  notes?: readonly string[];
}

/** A missing or wrong argument: answered with the message and the usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const COMMON = {
  help: { type: "boolean", help: "show this help and exit" },
  verbose: { type: "boolean", help: "on failure, print the details (logs, stack trace), not just one line" },
} as const satisfies Record<string, OptionSpec>;

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { type: "boolean" }
    ? boolean | undefined
    : O[K] extends { default: string }
      ? string
      : string | undefined;
} & { verbose?: boolean };

export function usage<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const all: Record<string, OptionSpec> = { ...spec.options, ...COMMON };
  const flags = Object.entries(all).map(([name, option]) => {
    const value = option.type === "string" ? ` <${option.value ?? "value"}>` : "";
    return [
      `--${name}${value}`,
      option.help + (option.default !== undefined ? ` (default ${option.default})` : ""),
    ];
  });
  const width = Math.max(...flags.map(([flag]) => flag?.length ?? 0));
  return [
    `usage: ${spec.command} ${spec.synopsis}`,
    "",
    spec.summary,
    "",
    "options:",
    ...flags.map(([flag, help]) => `  ${flag?.padEnd(width)}  ${help}`),
    ...(spec.notes ? ["", ...spec.notes] : []),
    "",
    spec.examples.length === 1 ? "example:" : "examples:",
    ...spec.examples.map((example) => `  ${example}`),
    "",
  ].join("\n");
}

/** The parsed options, or a UsageError naming the unknown or malformed one. */
export function parseCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: string[] = process.argv.slice(2),
): Values<O> & { help?: boolean } {
  const options = Object.fromEntries(
    Object.entries<OptionSpec>({ ...spec.options, ...COMMON }).map(
      ([name, { help: _, value: __, ...descriptor }]) => [name, descriptor],
    ),
  );
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values<O>;
  } catch (error) {
    // Some of parseArgs' messages span lines (a value that looks like an option): the problem is one line.
    throw new UsageError(oneLine(error));
  }
}

/** Reports a failure by the rules above; returns the exit status, 1. */
function failure<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: string[]) {
  const verbose = argv.includes("--verbose");
  return (error: unknown): number => {
    if (error instanceof UsageError) {
      process.stderr.write(`${spec.name}: ${error.message}\n\n${usage(spec)}`);
    } else if (verbose && error instanceof Error && error.stack) {
      // The details first, then the one line, so the last line says what went wrong either way.
      process.stderr.write(`${error.stack}\n${spec.name}: ${oneLine(error)}\n`);
    } else {
      process.stderr.write(`${spec.name}: ${oneLine(error)}\n`);
    }
    return 1;
  };
}

/**
 * Runs a command's main with the rules above and exits with its status. `main` returns the exit
 * status (undefined: keep running, e.g. a server); it throws UsageError for bad arguments and
 * anything else for a failure.
 */
export function runCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  main: (values: Values<O>) => Promise<number | undefined>,
  argv: string[] = process.argv.slice(2),
): void {
  const fail = failure(spec, argv);
  let values: Values<O> & { help?: boolean };
  try {
    values = parseCommand(spec, argv);
  } catch (error) {
    process.exit(fail(error));
  }
  if (values.help) {
    process.stdout.write(usage(spec));
    process.exit(0);
  }
  main(values).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => process.exit(fail(error)),
  );
}

/**
 * For scripts that run top to bottom (the benches): the same parsing, `--help` and usage errors as
 * runCommand, answered before the script starts anything (a child process it would leave behind);
 * `read` turns the values into what the script uses and throws UsageError for a bad one. A failure
 * of the script afterwards (its top-level await rejecting) is reported as runCommand reports one.
 */
export function parseOrExit<O extends Record<string, OptionSpec>, T>(
  spec: CommandSpec<O>,
  read: (values: Values<O>) => T,
  argv: string[] = process.argv.slice(2),
): T {
  const fail = failure(spec, argv);
  let parsed: T;
  try {
    const values = parseCommand(spec, argv);
    if (values.help) {
      process.stdout.write(usage(spec));
      process.exit(0);
    }
    parsed = read(values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.exit(fail(error));
  }
  process.on("uncaughtException", (error) => process.exit(fail(error)));
  return parsed;
}

/** `--<name>`'s value as a whole number of at least `min`, or a UsageError naming the option. */
export function wholeNumber(name: string, text: string | undefined, min = 1): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min} (got ${JSON.stringify(text)})`);
  return value;
}

/** `--<name>`'s value when it is an http(s) URL, or a UsageError naming the option (a client would only say "Invalid URL"). */
export function httpUrl(name: string, text: string): string {
  const protocol = URL.canParse(text) ? new URL(text).protocol : "";
  if (protocol !== "http:" && protocol !== "https:")
    throw new UsageError(`--${name} must be an http(s) URL (got ${JSON.stringify(text)})`);
  return text;
}

/** An error as one line: multi-line messages (a tool's output, a syntax error) are folded. */
export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ").trim();
}
