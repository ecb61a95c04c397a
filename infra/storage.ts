import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  keyType,
  TABLE_DEFINITIONS,
  type TableDefinition,
  type TableNames,
  tableNames,
} from "../runtime/edges/store/tables.js";
import { type StackContext, tablePrefix } from "./context.js";

export type TableKind = keyof TableNames;

/**
 * The DynamoDB tables the runtime uses, shaped by TABLE_DEFINITIONS (the same source the local
 * store builds from): on demand, encrypted with the AWS managed key, TTL where items expire;
 * point-in-time recovery and deletion protection where the stack protects its data (prod).
 */
export class Storage extends pulumi.ComponentResource {
  readonly tables: Readonly<Record<TableKind, aws.dynamodb.Table>>;
  readonly names: TableNames;

  constructor(name: string, context: StackContext, opts?: pulumi.ComponentResourceOptions) {
    super("siesa-integration:infra:Storage", name, {}, opts);
    const { dataProtection } = context.settings;
    this.names = tableNames(tablePrefix(context.settings.stack));
    const kinds = Object.keys(TABLE_DEFINITIONS) as TableKind[];
    const tables = {} as Record<TableKind, aws.dynamodb.Table>;
    for (const kind of kinds) {
      tables[kind] = new aws.dynamodb.Table(
        `${name}/${kind}`,
        {
          name: this.names[kind],
          billingMode: "PAY_PER_REQUEST",
          ...keyShape(TABLE_DEFINITIONS[kind]),
          serverSideEncryption: { enabled: true },
          pointInTimeRecovery: { enabled: dataProtection },
          deletionProtectionEnabled: dataProtection,
          tags: context.tags({ table: kind }),
        },
        { parent: this },
      );
    }
    this.tables = tables;
    this.registerOutputs({ names: this.names });
  }

  /** The ARN pattern of the table's indexes (none when it has none), for IAM statements. */
  indexArnsOf(kind: TableKind): pulumi.Output<string>[] {
    return TABLE_DEFINITIONS[kind].gsis?.length ? [pulumi.interpolate`${this.tables[kind].arn}/index/*`] : [];
  }
}

/** Keys, attribute definitions, GSIs and TTL of one table definition, as `aws.dynamodb.Table` inputs. */
export function keyShape(
  definition: TableDefinition,
): Pick<aws.dynamodb.TableArgs, "hashKey" | "rangeKey" | "attributes" | "globalSecondaryIndexes" | "ttl"> {
  const attributes = new Set<string>([definition.hashKey]);
  if (definition.rangeKey) attributes.add(definition.rangeKey);
  for (const gsi of definition.gsis ?? []) {
    attributes.add(gsi.hashKey);
    if (gsi.rangeKey) attributes.add(gsi.rangeKey);
  }
  return {
    hashKey: definition.hashKey,
    ...(definition.rangeKey ? { rangeKey: definition.rangeKey } : {}),
    attributes: [...attributes].map((attribute) => ({
      name: attribute,
      type: keyType(definition, attribute),
    })),
    ...(definition.gsis?.length
      ? {
          globalSecondaryIndexes: definition.gsis.map((gsi) => ({
            name: gsi.name,
            keySchemas: [
              { attributeName: gsi.hashKey, keyType: "HASH" },
              ...(gsi.rangeKey ? [{ attributeName: gsi.rangeKey, keyType: "RANGE" }] : []),
            ],
            projectionType: gsi.projection,
          })),
        }
      : {}),
    ...(definition.ttlAttribute ? { ttl: { attributeName: definition.ttlAttribute, enabled: true } } : {}),
  };
}
