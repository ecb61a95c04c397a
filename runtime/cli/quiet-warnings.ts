/**
 * fauxqs (the embedded SQS of `npm start`) opens node:sqlite, which Node 22 still marks experimental:
 * every process that loads it would print `ExperimentalWarning: SQLite is an experimental feature`.
 * It is not ours to act on, so exactly that warning is dropped; every other warning, experimental or
 * not, is still printed.
 */
const installed = Symbol.for("siesa-integration.quiet-warnings");

export function hideSqliteExperimentalWarning(): void {
  const processWithFlag = process as NodeJS.Process & { [installed]?: boolean };
  if (processWithFlag[installed]) return;
  processWithFlag[installed] = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (isSqliteExperimental(warning, rest[0])) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

function isSqliteExperimental(warning: string | Error, typeOrOptions: unknown): boolean {
  const message = typeof warning === "string" ? warning : warning.message;
  const type =
    typeof warning !== "string"
      ? warning.name
      : typeof typeOrOptions === "string"
        ? typeOrOptions
        : (typeOrOptions as { type?: string } | undefined)?.type;
  return type === "ExperimentalWarning" && /^SQLite is an experimental feature/.test(message);
}
