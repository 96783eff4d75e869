import { type EntityProperty, type Platform, ReferenceKind } from '@mikro-orm/core';
import { BasePostgreSqlPlatform } from '@mikro-orm/sql';

/**
 * How a value is checked against a column before it reaches the database, so that a value the
 * database would refuse (PostgreSQL's `22P02 invalid input syntax`, `22003 out of range`, `42883
 * operator does not exist`) is a typed error of Stratum's, raised before any SQL is sent.
 *
 * Only the column families whose rules are the same on both databases are checked: integers,
 * other numbers, booleans, text, UUIDs and dates. Everything else (json, arrays, bytea, enums,
 * custom types that own their wire format) is left to the database.
 */
export interface ColumnRules {
  /** `int`/`integer` columns hold 32 bits (PostgreSQL); SQLite's `integer` holds 64. */
  readonly integerBits: 32 | 64;
  /** A `uuid` column refuses text that is not 32 hex digits (PostgreSQL); SQLite stores any text. */
  readonly uuidColumns: boolean;
}

/**
 * The {@link ColumnRules} of a platform: PostgreSQL's (32-bit `int`, strict `uuid`) or, for every
 * other platform, SQLite's.
 *
 * @example
 * ```ts
 * columnRulesOf(em.getPlatform()); // { integerBits: 32, uuidColumns: true } on PostgreSQL
 * ```
 */
export function columnRulesOf(platform: Platform): ColumnRules {
  return platform instanceof BasePostgreSqlPlatform ? POSTGRESQL_RULES : SQLITE_RULES;
}

const POSTGRESQL_RULES: ColumnRules = Object.freeze({ integerBits: 32, uuidColumns: true });
const SQLITE_RULES: ColumnRules = Object.freeze({ integerBits: 64, uuidColumns: false });

/**
 * What is wrong with `value` for the column(s) behind `prop`, e.g. `'an integer from -2147483648 to
 * 2147483647'`; `undefined` when the value fits or when its column is not one Stratum checks.
 * `null` always fits (a cursor may carry it; a primary key lookup by `null` finds nothing). A
 * many-to-one is checked against the target's primary key (an entity or reference given as the
 * value is left to MikroORM).
 *
 * @example
 * ```ts
 * columnValueProblem(meta.properties.milliseconds, 'abc', { integerBits: 32, uuidColumns: true });
 * // 'an integer from -2147483648 to 2147483647'
 * ```
 */
export function columnValueProblem(prop: EntityProperty, value: unknown, rules: ColumnRules): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
    if (typeof value === 'object' && !Array.isArray(value)) {
      return undefined;
    }
    const primaries = prop.targetMeta?.getPrimaryProps() ?? [];
    return primaryKeyProblem(primaries, value, rules);
  }
  if (prop.kind !== ReferenceKind.SCALAR || prop.customType?.fromJSON !== undefined) {
    return undefined;
  }
  return scalarProblem(baseColumnType(prop), value, rules);
}

/**
 * What is wrong with `value` as a primary key made of `primaries` (one property, or several for a
 * composite key given as an array in their order); `undefined` when it fits.
 *
 * @example
 * ```ts
 * primaryKeyProblem(meta.getPrimaryProps(), [1, 'x'], rules); // 'for trackId: an integer ...'
 * ```
 */
export function primaryKeyProblem(
  primaries: readonly EntityProperty[],
  value: unknown,
  rules: ColumnRules,
): string | undefined {
  if (primaries.length === 1) {
    return columnValueProblem(primaries[0] as EntityProperty, value, rules);
  }
  if (!Array.isArray(value)) {
    return typeof value === 'object' && value !== null ? undefined : `an array of ${primaries.length} values`;
  }
  if (value.length !== primaries.length) {
    return `an array of ${primaries.length} values`;
  }
  for (const [i, part] of value.entries()) {
    const problem = columnValueProblem(primaries[i] as EntityProperty, part, rules);
    if (problem !== undefined) {
      return `for ${primaries[i]?.name}: ${problem}`;
    }
  }
  return undefined;
}

const INTEGER_BITS: Readonly<Record<string, 16 | 32 | 64>> = {
  tinyint: 16,
  smallint: 16,
  int2: 16,
  smallserial: 16,
  serial2: 16,
  int: 32,
  integer: 32,
  int4: 32,
  mediumint: 32,
  serial: 32,
  serial4: 32,
  bigint: 64,
  int8: 64,
  bigserial: 64,
  serial8: 64,
};
const DECIMAL = new Set(['numeric', 'decimal', 'real', 'float', 'float4', 'float8', 'double', 'double precision']);
const TEXT = new Set(['text', 'varchar', 'character varying', 'char', 'character', 'nvarchar', 'citext', 'string']);
const DATES = new Set(['date', 'datetime', 'timestamp', 'timestamptz', 'timestamp with time zone']);
const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;
const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/;

/** `varchar(200)` → `varchar`; `timestamp(3) with time zone` → `timestamp with time zone`; arrays keep `[]`. */
function baseColumnType(prop: EntityProperty): string {
  const type = (prop.columnTypes?.[0] ?? '').toLowerCase();
  return type
    .replace(/\(.*?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function scalarProblem(type: string, value: unknown, rules: ColumnRules): string | undefined {
  const bits = INTEGER_BITS[type];
  if (bits !== undefined) {
    return integerProblem(bits === 32 ? rules.integerBits : bits, value);
  }
  if (DECIMAL.has(type)) {
    const fits =
      (typeof value === 'number' && Number.isFinite(value)) ||
      typeof value === 'bigint' ||
      (typeof value === 'string' && NUMERIC_TEXT.test(value));
    return fits ? undefined : 'a finite number';
  }
  if (type === 'boolean' || type === 'bool') {
    return typeof value === 'boolean' ? undefined : 'a boolean';
  }
  if (type === 'uuid') {
    if (typeof value !== 'string') return 'a UUID string';
    return !rules.uuidColumns || /^\{?([0-9a-f]{4}-?){8}\}?$/i.test(value) ? undefined : 'a UUID string';
  }
  if (TEXT.has(type)) {
    return typeof value === 'string' ? undefined : 'a string';
  }
  if (DATES.has(type)) {
    const fits =
      (value instanceof Date && !Number.isNaN(value.getTime())) ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && !Number.isNaN(Date.parse(value)));
    return fits ? undefined : 'a date (an ISO 8601 string or a Date)';
  }
  return undefined;
}

function integerProblem(bits: 16 | 32 | 64, value: unknown): string | undefined {
  const max = 2n ** BigInt(bits - 1) - 1n;
  const expected = `an integer from ${-max - 1n} to ${max}`;
  let asBigInt: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return expected;
    asBigInt = BigInt(value);
  } else if (typeof value === 'bigint') {
    asBigInt = value;
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    asBigInt = BigInt(value.trim());
  } else {
    return expected;
  }
  return asBigInt < -max - 1n || asBigInt > max ? expected : undefined;
}
