import { type DynamoDBDocumentClient, GetCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { parseTenant, type Tenant } from "../../core/domain/tenant.js";
import type { TenantDirectory } from "../../core/ports/pipeline.js";

/** How long a tenant's configuration is reused before it is read again. */
const CACHE_MS = 60_000;

/**
 * The deployed tenants, as the Pulumi program writes them: one item per tenant in the tenants table,
 * `{ tenantId, config: <the tenant file's value> }` (other items there, such as leases, have no
 * `config`). Each config is validated again on the way in, so a bad item fails naming the field.
 */
export class DynamoTenantDirectory implements TenantDirectory {
  readonly #cache = new Map<string, { at: number; tenant: Promise<Tenant | undefined> }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  get(tenantId: string): Promise<Tenant | undefined> {
    const hit = this.#cache.get(tenantId);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.tenant;
    const tenant = this.#read(tenantId);
    this.#cache.set(tenantId, { at: this.now(), tenant });
    tenant.catch(() => this.#cache.delete(tenantId));
    return tenant;
  }

  async list(): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    const pages = paginateScan(
      { client: this.doc },
      { TableName: this.tableName, FilterExpression: "attribute_exists(config)" },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) tenants.push(this.#parse(String(item.tenantId), item.config));
    }
    return tenants.sort((a, b) => a.id.localeCompare(b.id));
  }

  async #read(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { tenantId } }));
    return Item?.config === undefined ? undefined : this.#parse(tenantId, Item.config);
  }

  #parse(tenantId: string, config: unknown): Tenant {
    const value = typeof config === "string" ? JSON.parse(config) : config;
    const result = parseTenant(value);
    if (result.ok) return result.tenant;
    const problems = result.issues.map((i) => `${i.field}: ${i.problem}`).join("; ");
    throw new Error(
      `tenants table ${this.tableName}, tenant ${tenantId}: invalid configuration: ${problems}`,
    );
  }
}
