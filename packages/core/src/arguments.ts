import { Cursor, type EntityMetadata, type EntityProperty, ReferenceKind, Utils } from '@mikro-orm/core';
import { type ColumnRules, columnValueProblem } from './column-value.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { InvalidCursorError } from './errors/invalid-cursor-error.js';
import { describeValue } from './errors/stratum-error.js';

/** Returns `value` when it is a positive integer; throws `InvalidArgumentError` naming `argument` otherwise. */
export function assertPositiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(argument, 'a positive integer', value);
  }
  return value;
}

/**
 * Returns the cursor when `Cursor.decode` reads it as one value per `orderBy` column (`definition`,
 * from `Cursor.getDefinition`), each of which fits its column (see `columnValueProblem`); throws
 * `InvalidCursorError` otherwise, before any query runs.
 */
export function assertCursor(
  argument: 'after' | 'before',
  cursor: unknown,
  meta: EntityMetadata,
  definition: readonly (readonly [string | symbol, unknown])[],
  rules: ColumnRules,
): string {
  const width = definition.length;
  if (typeof cursor !== 'string' || cursor.length === 0) {
    throw new InvalidCursorError(argument, cursor, 'not a non-empty string');
  }
  let values: unknown;
  try {
    values = Cursor.decode(cursor);
  } catch {
    throw new InvalidCursorError(argument, cursor, 'not a cursor encoding');
  }
  if (!Array.isArray(values) || values.length !== width) {
    throw new InvalidCursorError(argument, cursor, `it does not carry the ${width} values this orderBy needs`);
  }
  for (const [i, [key, direction]] of definition.entries()) {
    const problem = cursorValueProblem(meta.properties, key, direction, values[i], rules);
    if (problem !== undefined) {
      throw new InvalidCursorError(argument, cursor, `value ${i + 1}, for ${String(key)}, ${problem}`);
    }
  }
  return cursor;
}

/** What is wrong with one decoded cursor value, walking nested `orderBy` directions (relations, embeddables). */
function cursorValueProblem(
  properties: EntityMetadata['properties'],
  key: string | symbol,
  direction: unknown,
  value: unknown,
  rules: ColumnRules,
): string | undefined {
  const prop = typeof key === 'string' ? (properties as Record<string, EntityProperty>)[key] : undefined;
  if (prop === undefined) {
    return undefined; // a raw SQL fragment: its type is the database's business
  }
  if (Utils.isPlainObject(direction)) {
    if (value === null) return undefined;
    if (!Utils.isPlainObject(value)) return `is ${describeValue(value)}, not an object of nested values`;
    const nested = (prop.kind === ReferenceKind.EMBEDDED ? prop.embeddedProps : prop.targetMeta?.properties) ?? {};
    for (const child of Object.keys(direction)) {
      const problem = cursorValueProblem(nested as never, child, direction[child], value[child], rules);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const problem = columnValueProblem(prop, value, rules);
  return problem === undefined ? undefined : `is ${describeValue(value)}, not ${problem}`;
}
