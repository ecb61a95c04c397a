import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import * as v from "valibot";
import { webhookUrlProblem } from "../../core/domain/notification.js";
import { secretName } from "../../core/domain/resource-names.js";
import type { SecretKind } from "../../core/domain/secret-access.js";
import type { Tenant } from "../../core/domain/tenant.js";
import type { NotifySecretSource, WebhookTarget } from "../../core/ports/notifier.js";
import { type CredentialSource, CredentialsError } from "../../core/ports/pipeline.js";
import type { TenantCredentials } from "../../core/ports/tenant-clients.js";

/**
 * A tenant's credentials from Secrets Manager: `siesa-integration/<id>/siesa` holds
 * `{"conniKey","conniToken"}` and `siesa-integration/<id>/<product>` holds `{"username","password"}`.
 * Values are cached for 5 minutes (a run's many workers read them often; a rotated secret is picked up
 * within that time). Every error is a CredentialsError naming the secret and the field, never a value.
 * A function reads only the kinds of secret it is allowed (`reads`, from SECRETS_READ): the other
 * credentials are left unread, and using them throws a CredentialsError saying so.
 */

const text = v.pipe(v.string(), v.nonEmpty());
const SiesaSecret = v.object({ conniKey: text, conniToken: text });
const ProductSecret = v.object({ username: text, password: text });
const NotifySecret = v.object({ webhookUrl: text, signingSecret: text });

export const CREDENTIALS_CACHE_MS = 5 * 60_000;

export class SecretsManagerCredentials implements CredentialSource, NotifySecretSource {
  private readonly cache = new Map<string, { value: Promise<unknown>; expiresAt: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: { ttlMs?: number; now?: () => number; reads?: readonly SecretKind[] } = {},
  ) {}

  async forTenant(tenant: Tenant): Promise<TenantCredentials> {
    const reads = this.options.reads ?? ["siesa", "product"];
    const [siesa, product] = await Promise.all([
      reads.includes("siesa")
        ? this.read(secretName(tenant.id, "siesa"), SiesaSecret)
        : unread(["conniKey", "conniToken"], secretName(tenant.id, "siesa")),
      reads.includes("product")
        ? this.read(secretName(tenant.id, tenant.product.type), ProductSecret)
        : unread(["username", "password"], secretName(tenant.id, tenant.product.type)),
    ]);
    return { siesa, product };
  }

  /** `siesa-integration/<id>/notify`: `{"webhookUrl","signingSecret"}`, the URL checked as a tenant file's would be. */
  async webhookOf(tenant: Tenant): Promise<WebhookTarget> {
    const secretId = secretName(tenant.id, "notify");
    const { webhookUrl, signingSecret } = await this.read(secretId, NotifySecret);
    return webhookTarget(`${secretId}: field webhookUrl`, webhookUrl, signingSecret);
  }

  private async read<S extends v.GenericSchema>(secretId: string, schema: S): Promise<v.InferOutput<S>> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(secretId);
    if (cached && cached.expiresAt > now) return cached.value as Promise<v.InferOutput<S>>;
    const value = this.fetch(secretId, schema);
    this.cache.set(secretId, { value, expiresAt: now + (this.options.ttlMs ?? CREDENTIALS_CACHE_MS) });
    // A failure is not cached: the operator fixes the secret and the next read sees it.
    value.catch(() => {
      if (this.cache.get(secretId)?.value === value) this.cache.delete(secretId);
    });
    return value;
  }

  private async fetch<S extends v.GenericSchema>(secretId: string, schema: S): Promise<v.InferOutput<S>> {
    let secretString: string | undefined;
    try {
      secretString = (await this.client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new CredentialsError(
          `secret ${secretId} does not exist: create it with the tenant's credentials`,
        );
      }
      const name = error instanceof Error ? error.name : "error";
      throw new CredentialsError(`secret ${secretId} could not be read (${name})`);
    }
    if (secretString === undefined) {
      throw new CredentialsError(
        `secret ${secretId} has no SecretString: store the credentials as JSON text`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(secretString);
    } catch {
      // JSON.parse's message quotes the text it choked on: never pass it on.
      throw new CredentialsError(`secret ${secretId} is not valid JSON: expected ${expectedShape(schema)}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new CredentialsError(
        `secret ${secretId} must hold a JSON object: expected ${expectedShape(schema)}`,
      );
    }
    const result = v.safeParse(schema, json);
    if (!result.success) {
      const fields = [...new Set(result.issues.map((i) => v.getDotPath(i) ?? "?"))];
      throw new CredentialsError(
        `secret ${secretId}: ${fields.map((f) => `field ${f} must be a non-empty string`).join("; ")} (expected ${expectedShape(schema)})`,
      );
    }
    return result.output;
  }
}

/** A webhook target whose URL is refused naming `where` it came from, never the URL itself. */
export function webhookTarget(where: string, url: string, signingSecret: string): WebhookTarget {
  const problem = webhookUrlProblem(url);
  if (problem) throw new CredentialsError(`${where} ${problem}`);
  return { url, signingSecret };
}

/** Credentials this function does not read: any use is a wiring bug, reported as such. */
function unread<K extends string>(fields: K[], secretId: string): Record<K, string> {
  const credentials = {} as Record<K, string>;
  for (const field of fields) {
    Object.defineProperty(credentials, field, {
      enumerable: true,
      get() {
        throw new CredentialsError(
          `this function does not read secret ${secretId} (runtime/core/domain/secret-access.ts)`,
        );
      },
    });
  }
  return credentials;
}

function expectedShape(schema: v.GenericSchema): string {
  const keys = "entries" in schema ? Object.keys(schema.entries as object) : [];
  return `{${keys.map((k) => `"${k}": "..."`).join(", ")}}`;
}
