import type { IndexSuggestion } from '../advise/choose-indexes.js';
import { createIndexSql, type IndexCandidate } from '../candidates/index-candidate.js';

/** The index options MikroORM takes in `@Index(...)`, `defineEntity({ indexes })` or an `EntitySchema`. */
export interface EntityIndexOptions {
  readonly name: string;
  readonly properties?: readonly string[];
  readonly columns?: readonly { readonly name: string; readonly sort?: 'desc'; readonly nulls?: 'first' | 'last' }[];
  readonly include?: readonly string[];
  readonly where?: string;
  /** The whole `CREATE INDEX` statement, for what the options cannot say (expressions, GIN operator classes). */
  readonly expression?: string;
}

/** Where an index goes in the app's entities, and how to write it there. */
export interface EntityIndexDeclaration {
  /** The entity's name (`meta.className`), or undefined when no entity maps the table. */
  readonly entity: string | undefined;
  readonly table: string;
  readonly options: EntityIndexOptions;
  /** `@Index({ ... })`, to put on the entity class (the same options as `options`). */
  readonly decorator: string;
}

/** The slice of MikroORM's `MetadataStorage` this needs: `orm.getMetadata()` fits. */
export interface EntityMetadataSource {
  getAll(): ReadonlyMap<unknown, EntityMetaLike>;
}

/** What is read of an entity's metadata: its name, table and the columns of its properties. */
export interface EntityMetaLike {
  readonly className: string;
  readonly tableName: string;
  readonly props: readonly { readonly name: string; readonly fieldNames?: readonly string[] }[];
}

/**
 * The entity declarations of the suggested indexes, so that MikroORM keeps them: after the migration
 * is applied, MikroORM's schema diff (`orm.schema.getUpdateSchemaSQL()`, `migrator.create()`) proposes
 * dropping any index its metadata does not declare. Plain btree indexes are declared by properties
 * (with `columns` for a direction, `include`, `where`), which MikroORM compares structurally; an
 * expression index or a GIN operator-class index by its `expression` (MikroORM then matches it by
 * name). Put each one on its entity: `@Index({ ... })` on the class, or in `defineEntity({ indexes })`.
 *
 * @example
 * ```ts
 * const declarations = entityIndexDeclarations(result.suggestions, orm.getMetadata());
 * declarations[0];
 * // { entity: 'Customer', table: 'customer', options: { name: 'customer_email_c00ed8ec_idx', properties: ['email'] },
 * //   decorator: "@Index({ name: 'customer_email_c00ed8ec_idx', properties: ['email'] })" }
 * ```
 */
export function entityIndexDeclarations(
  suggestions: readonly IndexSuggestion[],
  metadata: EntityMetadataSource,
): EntityIndexDeclaration[] {
  const metas = [...metadata.getAll().values()];
  return suggestions.map(({ index }) => {
    const meta = metas.find((m) => m.tableName === index.table || m.tableName === `${index.schema}.${index.table}`);
    const propertyOf = (column: string) =>
      meta?.props.find((p) => p.fieldNames?.length === 1 && p.fieldNames[0] === column)?.name;
    const options = declare(index, propertyOf);
    return { entity: meta?.className, table: index.table, options, decorator: `@Index(${render(options)})` };
  });
}

function declare(index: IndexCandidate, propertyOf: (column: string) => string | undefined): EntityIndexOptions {
  const asExpression = {
    name: index.name,
    expression: createIndexSql(index, { name: false }).replace(
      /^create index /,
      `create index "${index.name.replaceAll('"', '""')}" `,
    ),
  };
  const simple = index.method === 'btree' && index.keys.every((key) => key.part.column !== undefined && !key.opclass);
  const properties = index.keys.map((key) => (key.part.column === undefined ? undefined : propertyOf(key.part.column)));
  const include = index.include.map(propertyOf);
  if (!simple || properties.some((p) => p === undefined) || include.some((p) => p === undefined)) return asExpression;
  const options: { -readonly [K in keyof EntityIndexOptions]: EntityIndexOptions[K] } = { name: index.name };
  if (index.keys.some((key) => key.direction || key.nulls)) {
    options.columns = index.keys.map((key, i) => ({
      name: properties[i] as string,
      ...(key.direction ? { sort: key.direction } : {}),
      ...(key.nulls ? { nulls: key.nulls } : {}),
    }));
  } else {
    options.properties = properties as string[];
  }
  if (include.length > 0) options.include = include as string[];
  if (index.predicate) options.where = index.predicate;
  return options;
}

/** Options as TypeScript source: single-quoted strings, keys in a fixed order. */
function render(value: unknown): string {
  if (typeof value === 'string') return quoteJs(value);
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${render(item)}`)
      .join(', ')} }`;
  }
  return String(value);
}

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A single-quoted JavaScript string literal of any text. */
function quoteJs(value: string): string {
  return `'${value.replace(/[\\'\n\r\u2028\u2029]/g, (c) => JS_ESCAPES[c] as string)}'`;
}
