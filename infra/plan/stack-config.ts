import { readFile } from "node:fs/promises";
import path from "node:path";
import { load } from "js-yaml";
import { REPOSITORY_ROOT } from "../repository.js";

/**
 * Reads `Pulumi.<stack>.yaml` into the flat map Pulumi gives a program (`namespace:key` → string,
 * lists and objects as JSON), so the plan and the tests run the program on the committed config.
 */

/**
 * What a `secure:` value (set with `pulumi config set --secret`) becomes: the plan has no key to decrypt
 * it. The only secret config is the pager's HTTPS endpoint, so the stand-in is an https URL.
 */
export const SECRET_PLACEHOLDER = "https://secret.invalid/";

export async function readStackConfig(
  stack: string,
  dir: string = REPOSITORY_ROOT,
): Promise<Record<string, string>> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`no stack file Pulumi.${stack}.yaml in ${dir} (known stacks: staging, prod)`);
  }
  const document = load(text, { filename: file });
  const config = isObject(document) ? document.config : undefined;
  if (config === undefined) return {};
  if (!isObject(config)) throw new Error(`Pulumi.${stack}.yaml: "config" must be a map of keys to values`);
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const plain = withoutSecrets(value);
    flat[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return flat;
}

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "secure") return SECRET_PLACEHOLDER;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, withoutSecrets(field)]));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
