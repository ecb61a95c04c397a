/**
 * The one Node version check of every entry point. The project needs Node 22 (Lambda nodejs22.x,
 * node:sqlite for the embedded SQS); an older Node would fail later with a stack trace about a
 * missing builtin module, so every command refuses it first, in one line that says what to do.
 */

/** The oldest supported release, as in package.json `engines`. */
export const REQUIRED_NODE = { major: 22, minor: 12 } as const;

/** Why this Node cannot run the project, or undefined when it can. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  const { major: needMajor, minor: needMinor } = REQUIRED_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `siesa-integration needs Node ${needMajor} (${needMajor}.${needMinor} or newer), this is Node ${version}: ` +
    `install it with \`nvm install ${needMajor}\` (the version is in .nvmrc) or from https://nodejs.org, then run this again`
  );
}

/** Exits 1 with that one line on stderr when this Node is too old. */
export function requireSupportedNode(): void {
  const problem = nodeVersionProblem();
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

/**
 * The same check for vitest's config: `npx vitest` runs on the Node on PATH, not the one
 * scripts/setup.sh puts first for npm's commands, and on Node 20 it fails only in its reporter, with
 * a stack trace. Says where that set-up keeps Node 22, as a shell expression of setup.sh's own.
 */
export function vitestNodeProblem(version: string = process.versions.node): string | undefined {
  const problem = nodeVersionProblem(version);
  if (problem === undefined) return undefined;
  const cache = `\${XDG_CACHE_HOME:-$HOME/.cache}`;
  return (
    `${problem}; npx vitest runs on the Node on PATH, not the one npm's commands set up: put Node 22 first on PATH ` +
    `(\`nvm use\`, or after any npm command: export PATH="${cache}/siesa-integration/node22/node_modules/.bin:$PATH")`
  );
}
