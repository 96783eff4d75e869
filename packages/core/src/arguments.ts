import { Cursor } from '@mikro-orm/core';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { InvalidCursorError } from './errors/invalid-cursor-error.js';

/** Returns `value` when it is a positive integer; throws `InvalidArgumentError` naming `argument` otherwise. */
export function assertPositiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(argument, 'a positive integer', value);
  }
  return value;
}

/** Returns the cursor when `Cursor.decode` reads it as `width` values (one per `orderBy` column); throws `InvalidCursorError` otherwise. */
export function assertCursor(argument: 'after' | 'before', cursor: unknown, width: number): string {
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
  return cursor;
}
