import { InvalidArgumentError } from '@stratum/core';

/**
 * Options of {@link Batched}.
 *
 * @example
 * ```ts
 * class TrackRepository extends BaseRepository<Track> {
 *   @Batched({ batch: 'findManyByComposer', key: 'composer', many: true, maxBatchSize: 1000 })
 *   findByComposer(composer: string): Promise<Track[]> {
 *     throw new Error('replaced by @Batched');
 *   }
 *
 *   findManyByComposer(composers: readonly string[]): Promise<Track[]> {
 *     return this.find({ composer: { $in: [...composers] } });
 *   }
 * }
 * ```
 */
export interface BatchedOptions {
  /**
   * The name of the batch method, on the same class (own or inherited): called with `this` = the
   * instance and the tick's distinct keys, `(keys: readonly K[]) => Promise<result>`. What it must
   * return: see {@link Batched}.
   */
  batch: string | symbol;
  /**
   * Most distinct keys in one call of the batch method; more keys in one tick are split into
   * several calls (started together). MikroORM sends a query's values inline in its SQL text, so
   * bound-parameter limits do not apply to a batch method that queries through it; the default keeps
   * that text to tens of kilobytes.
   * @default 5000
   */
  maxBatchSize?: number;
  /**
   * The batch method returns rows (an array, in any order, any length) and each key gets the rows
   * whose property `key` equals it (an entity or reference there counts as its primary key):
   * the first such row, or `null` when none; with `many: true`, all of them (`[]` when none).
   * Without `key`, the result is matched by position or by Map (see {@link Batched}).
   */
  key?: string;
  /**
   * With `key`: give each key all its rows, in the batch method's order (`[]` when none).
   * @default false
   */
  many?: boolean;
}

/** {@link BatchedOptions}, checked, with the defaults applied. */
export interface ResolvedBatchedOptions {
  readonly batch: string | symbol;
  readonly maxBatchSize: number;
  readonly key: string | undefined;
  readonly many: boolean;
}

/** Default {@link BatchedOptions.maxBatchSize}. */
export const DEFAULT_MAX_BATCH_SIZE = 5000;

const OPTION_KEYS = ['batch', 'maxBatchSize', 'key', 'many'];

/** Checks `@Batched(options)` when the class is defined: throws `InvalidArgumentError` on any mistake. */
export function readBatchedOptions(options: unknown): ResolvedBatchedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const hint =
      typeof options === 'string' ? ` (write @Batched({ batch: ${JSON.stringify(options)} }))` : ' ({ batch: ... })';
    throw new InvalidArgumentError('@Batched options', `an object${hint}`, options);
  }
  const unknownKeys = Object.keys(options).filter((key) => !OPTION_KEYS.includes(key));
  if (unknownKeys.length > 0) {
    throw new InvalidArgumentError(
      '@Batched options',
      `an object with only the keys ${OPTION_KEYS.join(', ')}`,
      options,
    );
  }
  const { batch, maxBatchSize = DEFAULT_MAX_BATCH_SIZE, key, many = false } = options as BatchedOptions;
  if (!((typeof batch === 'string' && batch.length > 0) || typeof batch === 'symbol')) {
    throw new InvalidArgumentError(
      '@Batched options.batch',
      'the name of the batch method (a non-empty string or a symbol)',
      batch,
    );
  }
  if (typeof maxBatchSize !== 'number' || !Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new InvalidArgumentError('@Batched options.maxBatchSize', 'a positive integer', maxBatchSize);
  }
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
    throw new InvalidArgumentError('@Batched options.key', 'a property name (a non-empty string) or undefined', key);
  }
  if (typeof many !== 'boolean') {
    throw new InvalidArgumentError('@Batched options.many', 'a boolean', many);
  }
  if (many && key === undefined) {
    throw new InvalidArgumentError(
      '@Batched options.many',
      'used with options.key (the property that matches rows to keys)',
      many,
    );
  }
  return { batch, maxBatchSize, key, many };
}
