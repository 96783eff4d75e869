import {
  type CountByOptions,
  Cursor,
  type Dictionary,
  type EntityData,
  type EntityKey,
  type EntityMetadata,
  type FilterQuery,
  type FindAllOptions,
  type FindByCursorOptions,
  type FindOptions,
  helper,
  type Loaded,
  type NativeInsertUpdateOptions,
  type Primary,
  type RequiredEntityData,
  raw,
  type StreamOptions,
  type UpsertManyOptions,
  Utils,
  type WithUsingOptions,
} from '@mikro-orm/core';
import { type SqlEntityManager, SqlEntityRepository } from '@mikro-orm/sql';
import {
  type AggregateMetric,
  type AggregateOptions,
  type AggregateRow,
  isNumericField,
  parseMetric,
} from './aggregate-metric.js';
import { assertCursor, assertPositiveInteger } from './arguments.js';
import { runInBatch } from './batch-context.js';
import type { BulkColumn, ConflictClause } from './bulk/bulk-dialect.js';
import {
  type BulkInsertOptions,
  type BulkOptions,
  type BulkUpsertOptions,
  collectFields,
  conflictTarget,
  entityToRow,
  normalizeUpsertOptions,
  type WriteOptions,
} from './bulk/bulk-rows.js';
import {
  bulkColumn,
  bulkDialectOf,
  chunk,
  type DatabaseValueConverter,
  databaseValueOf,
  executeStatement,
  tableOf,
  toDatabaseValue,
} from './bulk/bulk-writer.js';
import { copyInsert } from './bulk/postgresql-copy.js';
import { type BulkWriteEvent, emitBulkWrite } from './bulk-write-event.js';
import { columnRulesOf, primaryKeyProblem } from './column-value.js';
import { assertEagerLoadPaths, currentEagerLoad, eagerLoadDefault, mergeEagerLoad } from './eager-load-context.js';
import { assertKnownFilterFields, type ColumnProperty, columnOf, singlePrimaryKey } from './entity-fields.js';
import { withDriverErrors } from './errors/convert-driver-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { runInOperation } from './operation-context.js';
import { withPrimaryKeyTieBreaker } from './pagination/order-by.js';
import type { Page } from './pagination/page.js';

/** Options of {@link BaseRepository.findPage}: MikroORM's find options plus the page to read. */
export type FindPageOptions<T extends object, Hint extends string = never> = Omit<
  FindOptions<T, Hint>,
  'limit' | 'offset' | 'orderBy'
> & {
  where?: FilterQuery<T>;
  orderBy?: FindOptions<T>['orderBy'];
  /** 1-based page number. @default 1 */
  page?: number;
  /** Rows per page, capped by the repository's `maxPerPage`. @default the repository's `defaultPerPage` */
  perPage?: number;
};

/** Options of {@link BaseRepository.stream} in its `stream(where, options)` form. */
export type KeysetStreamOptions<T extends object, Hint extends string = never> = Omit<
  FindOptions<T, Hint>,
  'limit' | 'offset' | 'disableIdentityMap'
> & {
  /** Rows read per query. @default 1000 */
  batchSize?: number;
};

/**
 * The repository Stratum apps extend: MikroORM's `SqlEntityRepository` plus offset and keyset
 * pagination, chunked bulk writes that run in one transaction, bounded-memory streaming and
 * one-query aggregates. Works on PostgreSQL and SQLite; reads may go to a read replica, writes never do.
 *
 * @example
 * ```ts
 * @Entity({ repository: () => TrackRepository })
 * class Track { [EntityRepositoryType]?: TrackRepository; ... }
 *
 * class TrackRepository extends BaseRepository<Track> {
 *   protected override readonly maxPerPage = 200;
 * }
 *
 * const tracks = em.getRepository(Track);
 * const page = await tracks.findPage({ where: { genre: 1 }, orderBy: { name: 'asc' }, page: 2, perPage: 50 });
 * const ids = await tracks.insertMany(rows, { chunkSize: 2000 });
 * ```
 */
export class BaseRepository<T extends object> extends SqlEntityRepository<T> {
  /** Largest page `findPage`/`findByCursor` return; a larger `perPage`/`first`/`last` is capped to it. */
  protected readonly maxPerPage: number = 100;
  /** Page size when none is given. */
  protected readonly defaultPerPage: number = 20;
  /** Rows per bulk statement when none is given (before the database's parameter limit lowers it). */
  protected readonly defaultChunkSize: number = 5000;
  /** Rows from which PostgreSQL `insertMany` uses `COPY` when no `copyThreshold` is given (docs/benchmarks.md). */
  protected readonly defaultCopyThreshold: number = 10_000;

  /** The entity's metadata, as discovered by MikroORM. */
  protected get meta(): EntityMetadata<T> {
    return this.getEntityManager().getMetadata().get(this.entityName);
  }

  /**
   * MikroORM's `findAll`, plus the repository's eager load merged into `populate`: the one
   * `@EagerLoad` (from `@stratum/dataloader`) sets on the running repository method, else the class
   * default. `find`, `findOne`, `findOneOrFail`, `findAndCount`, `findPage`, `findByCursor`,
   * `findByIds` and `stream` merge it the same way.
   *
   * @example
   * ```ts
   * const all = await em.getRepository(Album).findAll({ orderBy: { title: 'asc' } });
   * ```
   */
  override async findAll<
    Hint extends string = never,
    Fields extends string = never,
    Excludes extends string = never,
    Using extends string = never,
  >(
    options?: WithUsingOptions<FindAllOptions<T, Hint, Fields, Excludes>, T, Using>,
  ): Promise<Loaded<T, Hint, Fields, Excludes>[]> {
    return super.findAll(this.withEagerLoad(options));
  }

  static {
    // `find`, `findOne`, `findOneOrFail` and `findAndCount` merge the eager load (`@EagerLoad`) into
    // their options too. They are replaced on the prototype rather than overridden in the class body:
    // they keep MikroORM's exact signatures, which TypeScript cannot relate to a redeclared copy for a
    // generic T (index-aware `where` conditional types).
    for (const method of ['find', 'findOne', 'findOneOrFail', 'findAndCount'] as const) {
      const inherited = SqlEntityRepository.prototype[method] as (
        this: unknown,
        where: unknown,
        options?: object,
      ) => unknown;
      const withEagerLoad = async function (this: BaseRepository<object>, where: unknown, options?: object) {
        return inherited.call(this, where, this.withEagerLoad(options));
      };
      Object.defineProperty(withEagerLoad, 'name', { value: method });
      Object.defineProperty(BaseRepository.prototype, method, {
        value: withEagerLoad,
        writable: true,
        configurable: true,
      });
    }
  }

  /**
   * Offset pagination: the rows of one page plus the total, in a deterministic order (the primary
   * key breaks ties, so pages never overlap or skip rows).
   *
   * @example
   * ```ts
   * const page = await tracks.findPage({ where: { album: 1 }, orderBy: { name: 'asc' }, page: 1, perPage: 10 });
   * // { items: [...10 tracks], total: 10, page: 1, perPage: 10, pages: 1, hasNext: false, hasPrev: false }
   * ```
   */
  async findPage<Hint extends string = never>(options: FindPageOptions<T, Hint> = {}): Promise<Page<Loaded<T, Hint>>> {
    return this.run('findPage', async () => {
      const {
        where = {} as FilterQuery<T>,
        orderBy,
        page = 1,
        perPage = this.defaultPerPage,
        ...findOptions
      } = options;
      assertPositiveInteger('page', page);
      const limit = Math.min(assertPositiveInteger('perPage', perPage), this.maxPerPage);
      assertKnownFilterFields(this.meta, where);
      const [items, total] = await this.getEntityManager().findAndCount(this.entityName, where as never, {
        ...this.withEagerLoad(findOptions as FindOptions<T, Hint>),
        orderBy: withPrimaryKeyTieBreaker(this.meta, orderBy) as FindOptions<T>['orderBy'],
        limit,
        offset: (page - 1) * limit,
      });
      const pages = Math.ceil(total / limit);
      return {
        items: items as Loaded<T, Hint>[],
        total,
        page,
        perPage: limit,
        pages,
        hasNext: page < pages,
        hasPrev: page > 1,
      };
    });
  }

  /**
   * Keyset (cursor) pagination on MikroORM's `findByCursor`, made safe: the primary key is added as
   * the last tie-breaker (rows with equal sort values are never skipped or repeated), `first`/`last`
   * are validated and capped by `maxPerPage`, and a malformed cursor is an `InvalidCursorError`
   * before any query runs. Cursors are opaque strings; go back with `last` + `before`.
   *
   * @example
   * ```ts
   * const first = await tracks.findByCursor({ orderBy: { milliseconds: 'desc' }, first: 20 });
   * const next = await tracks.findByCursor({ orderBy: { milliseconds: 'desc' }, first: 20, after: first.endCursor! });
   * const back = await tracks.findByCursor({ orderBy: { milliseconds: 'desc' }, last: 20, before: next.startCursor! });
   * ```
   */
  override async findByCursor<
    Hint extends string = never,
    Fields extends string = never,
    Excludes extends string = never,
    IncludeCount extends boolean = true,
    Using extends string = never,
  >(
    options: WithUsingOptions<FindByCursorOptions<T, Hint, Fields, Excludes, IncludeCount>, T, Using> = {} as never,
  ): Promise<Cursor<T, Hint, Fields, Excludes, IncludeCount>> {
    return this.run('findByCursor', async () => {
      const { first, last, after, before } = options;
      if (first !== undefined && last !== undefined) {
        throw new InvalidArgumentError('first/last', 'only one of them (first to go forward, last to go back)', {
          first,
          last,
        });
      }
      if (after !== undefined && before !== undefined) {
        throw new InvalidArgumentError('after/before', 'only one of them', { after, before });
      }
      assertKnownFilterFields(this.meta, options.where);
      const orderBy = withPrimaryKeyTieBreaker(this.meta, options.orderBy);
      const definition = Cursor.getDefinition(this.meta, orderBy as never);
      const rules = columnRulesOf(this.getEntityManager().getPlatform());
      const page: Dictionary = {};
      if (last !== undefined || (before !== undefined && first === undefined)) {
        page.last = Math.min(assertPositiveInteger('last', last ?? this.defaultPerPage), this.maxPerPage);
      } else {
        page.first = Math.min(assertPositiveInteger('first', first ?? this.defaultPerPage), this.maxPerPage);
      }
      if (after !== undefined) {
        page.after = assertCursor('after', after, this.meta, definition, rules);
      }
      if (before !== undefined) {
        page.before = assertCursor('before', before, this.meta, definition, rules);
      }
      return super.findByCursor({ ...this.withEagerLoad(options), orderBy, ...page } as never);
    });
  }

  /**
   * Loads entities by primary key, in the order of `ids`; an id with no row gives `null`.
   * Repeated ids give the same instance (MikroORM's identity map).
   *
   * @example
   * ```ts
   * const [a, missing, b] = await tracks.findByIds([3, 999999, 1]); // a.id === 3, missing === null, b.id === 1
   * ```
   */
  async findByIds<Hint extends string = never>(
    ids: readonly Primary<T>[],
    options: Omit<FindOptions<T, Hint>, 'limit' | 'offset'> = {},
  ): Promise<(Loaded<T, Hint> | null)[]> {
    return this.run('findByIds', async () => {
      if (!Array.isArray(ids)) {
        throw new InvalidArgumentError('ids', 'an array of primary keys', ids);
      }
      const rules = columnRulesOf(this.getEntityManager().getPlatform());
      const primaries = this.meta.getPrimaryProps();
      for (const [i, id] of ids.entries()) {
        const problem = primaryKeyProblem(primaries, id, rules);
        if (problem !== undefined) {
          throw new InvalidArgumentError(`ids[${i}]`, `a primary key of ${this.meta.className} (${problem})`, id);
        }
      }
      const unique = [...new Map(ids.map((id) => [primaryKeyHash(id), id])).values()];
      const found = new Map<string, Loaded<T, Hint>>();
      const parts = chunk(unique, 1000);
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as Primary<T>[];
        const find = () =>
          this.getEntityManager().find(
            this.entityName,
            part as never,
            this.withEagerLoad(options as FindOptions<T, Hint>),
          );
        // The first query is the caller's; the next chunks are this method's own batching, which a
        // profiler must not read as the caller's N+1 (a loop of findByIds still is one).
        const entities = await (i === 0
          ? find()
          : runInBatch({ loader: this.batchName('findByIds'), keys: part.length }, find));
        for (const entity of entities) {
          found.set(helper(entity).getSerializedPrimaryKey(), entity);
        }
      }
      return ids.map((id) => found.get(primaryKeyHash(id)) ?? null);
    });
  }

  /**
   * Inserts rows in chunks, one multi-row statement with bound parameters per chunk, all in one
   * transaction (all or nothing), and returns the primary keys in input order. Rows are plain data
   * (relations as entities, references or primary keys) or entity instances; they are written as
   * given: no lifecycle hook runs and the identity map is untouched (MikroORM's `insertMany` contract).
   * What the database refuses throws the MikroORM exception `em.flush()` throws for it
   * (`UniqueConstraintViolationException`, `ForeignKeyConstraintViolationException`, ...; the driver's
   * error as `cause`), and nothing is written; see docs/base-repository.md "Errors".
   *
   * @example
   * ```ts
   * const ids = await invoiceLines.insertMany(
   *   [{ invoice: 1, track: 2, unitPrice: 0.99, quantity: 1 }, { invoice: 1, track: 3, unitPrice: 0.99, quantity: 2 }],
   *   { chunkSize: 5000 },
   * ); // [2241, 2242]
   * ```
   * ```sql
   * -- SQLite: insert into "invoice_line" ("invoice_id", "track_id", ...) values (?, ?, ...), (?, ?, ...) returning "id"
   * -- PostgreSQL: insert into "invoice_line" (...) select * from unnest($1::int[], $2::int[], ...) returning "id"
   * -- PostgreSQL, from copyThreshold rows: select nextval(...) from generate_series(1, $2); copy "invoice_line" (...) from stdin
   * ```
   */
  override async insertMany(
    rows: T[] | RequiredEntityData<T>[] | EntityData<T>[],
    options: NativeInsertUpdateOptions<T> & BulkInsertOptions = {},
  ): Promise<Primary<T>[]> {
    return this.run('insertMany', async () => {
      const written = await this.writeRows(rows, options, 'insertMany');
      const ids = this.primaryKeysOf(written);
      if (ids.length > 0) {
        await this.emitWrite('insert', ids);
      }
      return ids;
    });
  }

  /**
   * Inserts rows, or updates the existing row when one collides on `onConflict` (`insert ... on
   * conflict ... do update`), in chunks inside one transaction, and returns the written rows as
   * managed entities in input order, like MikroORM's `upsertMany` (with `action: 'ignore'`, rows
   * that collided are not returned). Refused writes throw as {@link BaseRepository.insertMany} does.
   *
   * @example
   * ```ts
   * const [ada] = await customers.upsertMany([{ id: 1, email: 'ada@example.com', firstName: 'Ada', lastName: 'L.' }], {
   *   onConflict: ['id'],
   *   merge: ['email'],
   * });
   * ```
   */
  override async upsertMany<Fields extends string = any>(
    rows: T[] | EntityData<T>[] = [],
    options: UpsertManyOptions<T, Fields> & BulkUpsertOptions<T> = {},
  ): Promise<T[]> {
    return this.run('upsertMany', async () => {
      const written = await this.writeRows(rows, normalizeUpsertOptions(options), 'upsertMany');
      if (written.length > 0) {
        await this.emitWrite('upsert', this.primaryKeysOf(written));
      }
      const em = this.getEntityManager();
      return written.map((row) => em.map(this.entityName, row as never) as T);
    });
  }

  /**
   * Updates rows in chunks inside one transaction, and returns how many rows changed. Two forms:
   * `updateMany(ids, values)` sets the same values on every listed id; `updateMany(rows)` gives each
   * row its own values (every row carries its primary key). Refused writes throw as
   * {@link BaseRepository.insertMany} does.
   *
   * @example
   * ```ts
   * await tracks.updateMany([1, 2, 3], { unitPrice: 1.29 });
   * await tracks.updateMany([{ id: 1, name: 'Intro' }, { id: 2, name: 'Outro' }]);
   * ```
   */
  async updateMany(ids: readonly Primary<T>[], values: EntityData<T>, options?: BulkOptions): Promise<number>;
  async updateMany(rows: readonly EntityData<T>[], options?: BulkOptions): Promise<number>;
  async updateMany(
    idsOrRows: readonly unknown[],
    valuesOrOptions?: EntityData<T> | BulkOptions,
    maybeOptions: BulkOptions = {},
  ): Promise<number> {
    return this.run('updateMany', async () => {
      if (!Array.isArray(idsOrRows)) {
        throw new InvalidArgumentError('updateMany()', 'given an array of ids or an array of rows', idsOrRows);
      }
      const perRow = idsOrRows.length > 0 && Utils.isPlainObject(idsOrRows[0]);
      if (perRow) {
        return this.updateRows(idsOrRows as EntityData<T>[], (valuesOrOptions as BulkOptions) ?? {});
      }
      if (!Utils.isPlainObject(valuesOrOptions)) {
        throw new InvalidArgumentError(
          'updateMany(ids, values) values',
          'an object of property values',
          valuesOrOptions,
        );
      }
      return this.updateSame(idsOrRows as Primary<T>[], valuesOrOptions as EntityData<T>, maybeOptions);
    });
  }

  /**
   * Deletes by a list of primary keys (chunked, one transaction) or by a filter (one statement), and
   * returns how many rows were deleted. A refused delete (a row still referenced) throws
   * `ForeignKeyConstraintViolationException`, as `em.flush()` does, and deletes nothing.
   *
   * @example
   * ```ts
   * await invoiceLines.deleteMany([2241, 2242]);
   * await invoiceLines.deleteMany({ invoice: { $in: [1, 2] } });
   * ```
   */
  async deleteMany(idsOrWhere: readonly Primary<T>[] | FilterQuery<T>, options: BulkOptions = {}): Promise<number> {
    return this.run('deleteMany', async () => {
      const em = this.getEntityManager();
      if (!Array.isArray(idsOrWhere)) {
        if (!Utils.isPlainObject(idsOrWhere) || Object.keys(idsOrWhere).length === 0) {
          throw new InvalidArgumentError(
            'deleteMany() filter',
            'an array of ids or a non-empty filter (use nativeDelete({}) to delete every row on purpose)',
            idsOrWhere,
          );
        }
        assertKnownFilterFields(this.meta, idsOrWhere);
        const deleted = await em.nativeDelete(this.entityName, idsOrWhere as never);
        await this.emitWrite('delete', undefined, idsOrWhere);
        return deleted;
      }
      const meta = this.meta;
      const key = singlePrimaryKey(meta, 'deleteMany(ids)');
      const chunkSize = this.chunkSize(options);
      if (idsOrWhere.length === 0) {
        return 0;
      }
      const deleted = await em.transactional(async (trx) => {
        const dialect = await bulkDialectOf(trx);
        const keyColumn = bulkColumn(trx, key.prop, key.column);
        const ids = idsOrWhere.map((id) => toDatabaseValue(trx, dialect, key.prop, id));
        let deleted = 0;
        for (const part of chunk(ids, dialect.idsPerStatement(0, chunkSize))) {
          deleted += (await executeStatement(trx, dialect, dialect.deleteIds(tableOf(trx, meta), keyColumn, part)))
            .affected;
        }
        return deleted;
      });
      await this.emitWrite('delete', idsOrWhere);
      return deleted;
    });
  }

  /**
   * Iterates over every matching row with bounded memory: it reads `batchSize` rows per query in
   * keyset order (the primary key by default, or `orderBy` with the primary key as tie-breaker; never
   * an offset) and yields detached entities. They never enter the identity map, so memory stays flat
   * however many rows there are; changing them persists nothing (use `updateMany`, or load into a fork).
   * Also accepts MikroORM's own `stream({ where, populate, chunkSize, ... })` call shape.
   *
   * @example
   * ```ts
   * let revenue = 0;
   * for await (const line of invoiceLines.stream({ quantity: { $gt: 0 } }, { batchSize: 2000 })) {
   *   revenue += line.unitPrice * line.quantity;
   * }
   * ```
   */
  override stream<
    Hint extends string = never,
    Fields extends string = never,
    Excludes extends string = never,
    Using extends string = never,
  >(
    options?: WithUsingOptions<StreamOptions<T, Hint, Fields, Excludes>, T, Using>,
  ): AsyncIterableIterator<Loaded<T, Hint, Fields, Excludes>>;
  override stream<Hint extends string = never>(
    where: FilterQuery<T>,
    options?: KeysetStreamOptions<T, Hint>,
  ): AsyncIterableIterator<Loaded<T, Hint>>;
  override async *stream(
    whereOrOptions?: unknown,
    maybeOptions?: KeysetStreamOptions<T, any>,
  ): AsyncIterableIterator<any> {
    let where = whereOrOptions ?? {};
    let options: Dictionary = maybeOptions ?? {};
    if (maybeOptions === undefined && this.isOptionsObject(whereOrOptions)) {
      const { where: filter = {}, chunkSize, ...rest } = whereOrOptions as Dictionary;
      where = filter;
      options = { ...rest, batchSize: rest.batchSize ?? chunkSize };
    }
    const { batchSize = 1000, orderBy, ...findOptions } = this.withEagerLoad(options);
    assertPositiveInteger('batchSize', batchSize);
    assertKnownFilterFields(this.meta, where);
    const order = withPrimaryKeyTieBreaker(this.meta, orderBy);
    const em = this.getEntityManager();
    let after: string | undefined;
    while (true) {
      const page = (): Promise<Cursor<T, any, any, any, false>> =>
        em.findByCursor(this.entityName, {
          ...findOptions,
          where: where as never,
          orderBy: order as never,
          first: batchSize,
          ...(after === undefined ? {} : { after }),
          includeCount: false,
          disableIdentityMap: true,
        });
      // The first page is the caller's query; the next ones are the stream's own keyset batches, which
      // a profiler must not read as the caller's N+1 (streams opened in a loop still are one).
      const batch: Cursor<T, any, any, any, false> = await this.run('stream', () =>
        after === undefined ? page() : runInBatch({ loader: this.batchName('stream'), keys: batchSize }, page),
      );
      yield* batch.items;
      if (!batch.hasNextPage || batch.endCursor === null) {
        return;
      }
      after = batch.endCursor;
    }
  }

  /**
   * Counts rows per value of one or more fields in one grouped query (MikroORM's `countBy`, after
   * checking the field names). The second argument is a filter, or MikroORM's `{ where, ... }` options.
   *
   * @example
   * ```ts
   * const perGenre = await tracks.countBy('genre'); // { '1': 1297, '7': 579, ... }
   * const cheapPerGenre = await tracks.countBy('genre', { unitPrice: { $lt: 1 } });
   * ```
   */
  override async countBy(
    groupBy: EntityKey<T> | readonly EntityKey<T>[],
    whereOrOptions: FilterQuery<T> | CountByOptions<T> = {},
  ): Promise<Dictionary<number>> {
    return this.run('countBy', async () => {
      for (const field of Array.isArray(groupBy) ? groupBy : [groupBy]) {
        columnOf(this.meta, field as string, 'countBy');
      }
      const options = (
        this.isOptionsObject(whereOrOptions) ? whereOrOptions : { where: whereOrOptions }
      ) as CountByOptions<T>;
      assertKnownFilterFields(this.meta, options.where);
      // em.countBy runs its query builder straight on the connection, which leaves driver errors raw.
      return withDriverErrors(this.getEntityManager(), () => super.countBy(groupBy, options));
    });
  }

  /**
   * Answers several "how many / how much" questions in ONE query, optionally grouped: counts,
   * distinct counts, sums, averages, minimum and maximum. Numbers come back as JS numbers.
   *
   * @example
   * ```ts
   * // one query instead of three: how many invoices, how much revenue, the biggest one — per country
   * const rows = await invoices.aggregate({
   *   groupBy: 'billingCountry',
   *   metrics: { invoices: { count: '*' }, revenue: { sum: 'total' }, biggest: { max: 'total' } },
   * });
   * ```
   * ```sql
   * select e0.billing_country as "billingCountry", count(*) as "invoices", sum(e0.total) as "revenue",
   *   max(e0.total) as "biggest" from invoice as e0 group by e0.billing_country
   * ```
   */
  async aggregate<M extends Record<string, AggregateMetric<T>>, G extends EntityKey<T> = never>(
    options: AggregateOptions<T, M, G>,
  ): Promise<AggregateRow<T, M, G>[]> {
    return this.run('aggregate', async () => {
      const { where = {} as FilterQuery<T>, groupBy, metrics } = options;
      const meta = this.meta;
      const platform = this.getEntityManager().getPlatform();
      const q = (id: string) => platform.quoteIdentifier(id);
      const groups = (groupBy === undefined ? [] : Array.isArray(groupBy) ? groupBy : [groupBy]).map((field) => ({
        field,
        ...columnOf(meta, field, 'groupBy'),
      }));
      if (!Utils.isPlainObject(metrics) || Object.keys(metrics).length === 0) {
        throw new InvalidArgumentError('metrics', "a non-empty object such as { n: { count: '*' } }", metrics);
      }
      const selects = groups.map((g) => raw(`${q('e0')}.${q(g.column)} as ${q(g.field)}`));
      const numeric = new Set<string>();
      for (const [alias, metric] of Object.entries(metrics)) {
        const [fn, field] = parseMetric(alias, metric);
        const column = field === '*' ? '*' : `${q('e0')}.${q(columnOf(meta, field, `metrics.${alias}`).column)}`;
        const expression = fn === 'countDistinct' ? `count(distinct ${column})` : `${fn}(${column})`;
        selects.push(raw(`${expression} as ${q(alias)}`));
        if (fn === 'count' || fn === 'countDistinct' || fn === 'sum' || fn === 'avg' || isNumericField(meta, field)) {
          numeric.add(alias);
        }
      }
      assertKnownFilterFields(meta, where);
      const qb = this.getEntityManager()
        .createQueryBuilder(this.entityName, 'e0')
        .select(selects as never)
        .where(where as never);
      if (groups.length > 0) {
        const columns = groups.map((g) => raw(`${q('e0')}.${q(g.column)}`));
        qb.groupBy(columns as never).orderBy(columns.map((column) => ({ [column as never]: 'asc' })) as never);
      }
      const rows = await withDriverErrors(this.getEntityManager(), () => qb.execute<Dictionary[]>('all', false));
      for (const row of rows) {
        for (const alias of numeric) {
          row[alias] = row[alias] == null ? null : Number(row[alias]);
        }
      }
      return rows as AggregateRow<T, M, G>[];
    });
  }

  /**
   * The write path shared by `insertMany` and `upsertMany`: chunks sized to the database's limits,
   * one statement each, all inside one transaction (a savepoint when one is already open).
   * Returns the rows the statements returned (the primary key, or every column for upserts).
   */
  private async writeRows(
    input: readonly unknown[],
    options: WriteOptions<T> & BulkInsertOptions,
    operation: 'insertMany' | 'upsertMany',
  ): Promise<Dictionary[]> {
    if (!Array.isArray(input)) {
      throw new InvalidArgumentError(`${operation}() rows`, 'an array of row objects or entities', input);
    }
    if (input.length === 0) {
      return [];
    }
    const meta = this.meta;
    const rows = input.map((row) => (Utils.isEntity(row) ? entityToRow(meta, row) : row)) as Dictionary[];
    const chunkSize = this.chunkSize(options);
    const copyThreshold = this.copyThreshold(options);
    const fields = collectFields(rows, operation);
    const columns = fields.map((field) => ({ field, ...columnOf(meta, field, `${operation}() rows`) }));
    const target = operation === 'upsertMany' ? conflictTarget(meta, options, rows) : undefined;
    const excluded = new Set<string>([...(target ?? []), ...(options.excludeFromMerge ?? [])]);
    const mergeFields =
      !target || options.action === 'ignore' ? [] : (options.merge ?? fields.filter((f) => !excluded.has(f)));
    const returning =
      operation === 'upsertMany' ? '*' : meta.primaryKeys.map((pk) => columnOf(meta, pk, 'primary key'));

    return this.getEntityManager().transactional(async (trx) => {
      const dialect = await bulkDialectOf(trx);
      const table = tableOf(trx, meta, options.schema);
      const toColumn = (c: ColumnProperty) => bulkColumn(trx, c.prop, c.column);
      const insertColumns = columns.map(toColumn);
      const returningColumns = returning === '*' ? returning : returning.map(toColumn);
      const conflict: ConflictClause | undefined = target && {
        target: target.map((f) => toColumn(columnOf(meta, f, 'onConflict'))),
        merge: mergeFields.map((f) => toColumn(columnOf(meta, f, 'merge'))),
      };
      if (returning !== '*' && dialect.supportsCopy && rows.length >= copyThreshold) {
        const named = (c: ColumnProperty) => ({ name: c.column, bulk: toColumn(c) });
        const written = columns.map((c) => {
          const convert = databaseValueOf(trx, dialect, c.prop);
          return { ...named(c), read: (row: Dictionary) => convert(row[c.field]) };
        });
        const copy = { table, columns: written, keys: returning.map(named), rows };
        const keys = await copyInsert(trx, dialect, copy, options.copyThreshold !== undefined);
        if (keys) {
          return keys;
        }
      }
      const converters: DatabaseValueConverter[] = columns.map((c) => databaseValueOf(trx, dialect, c.prop));
      const written: Dictionary[] = [];
      for (const part of chunk(rows, dialect.rowsPerStatement(columns.length, chunkSize))) {
        const values = part.map((row) =>
          columns.map((c, j) => (converters[j] as DatabaseValueConverter)(row[c.field])),
        );
        const result = await executeStatement(
          trx,
          dialect,
          dialect.insert(table, insertColumns, values, returningColumns, conflict),
        );
        written.push(...result.rows);
      }
      return written;
    });
  }

  /** The primary keys of returned rows, as MikroORM gives them (a value, or an array for composite keys). */
  private primaryKeysOf(rows: readonly Dictionary[]): Primary<T>[] {
    const meta = this.meta;
    const columns = meta.primaryKeys.map((pk) => columnOf(meta, pk, 'primary key').column);
    if (columns.length === 1) {
      const [column] = columns as [string];
      return rows.map((row) => row[column] as Primary<T>);
    }
    return rows.map((row) => columns.map((column) => row[column]) as Primary<T>);
  }

  /**
   * Tells MikroORM-style options (`{ where, populate, ... }`) from a filter: a filter's keys are
   * entity properties or `$` operators, so any other key marks an options object.
   */
  private isOptionsObject(value: unknown): boolean {
    return (
      Utils.isPlainObject(value) &&
      Object.keys(value).some((key) => !key.startsWith('$') && !(key in this.meta.properties))
    );
  }

  private async updateSame(ids: readonly Primary<T>[], values: EntityData<T>, options: BulkOptions): Promise<number> {
    const meta = this.meta;
    const key = singlePrimaryKey(meta, 'updateMany(ids, values)');
    const set = Object.keys(values).map((field) => ({ field, ...columnOf(meta, field, 'updateMany() values') }));
    if (set.length === 0) {
      throw new InvalidArgumentError('updateMany(ids, values) values', 'at least one property to set', values);
    }
    if (ids.length === 0) {
      return 0;
    }
    const chunkSize = this.chunkSize(options);
    const updated = await this.getEntityManager().transactional(async (trx) => {
      const dialect = await bulkDialectOf(trx);
      const assignments = set.map(
        (c) =>
          [
            bulkColumn(trx, c.prop, c.column),
            toDatabaseValue(trx, dialect, c.prop, (values as Dictionary)[c.field]),
          ] as const,
      );
      const keyColumn = bulkColumn(trx, key.prop, key.column);
      const dbIds = ids.map((id) => toDatabaseValue(trx, dialect, key.prop, id));
      let updated = 0;
      for (const part of chunk(dbIds, dialect.idsPerStatement(assignments.length, chunkSize))) {
        updated += (
          await executeStatement(trx, dialect, dialect.updateSame(tableOf(trx, meta), keyColumn, assignments, part))
        ).affected;
      }
      return updated;
    });
    await this.emitWrite('update', ids);
    return updated;
  }

  private async updateRows(rows: readonly EntityData<T>[], options: BulkOptions): Promise<number> {
    const meta = this.meta;
    const key = singlePrimaryKey(meta, 'updateMany(rows)');
    // Rows that set different properties go in different statements: a missing property keeps its value.
    const groups = new Map<string, { fields: string[]; rows: EntityData<T>[] }>();
    rows.forEach((row, index) => {
      if (!Utils.isPlainObject(row) || (row as Dictionary)[key.prop.name] == null) {
        throw new InvalidArgumentError(
          `updateMany() rows[${index}]`,
          `a row object with its primary key ${key.prop.name}`,
          row,
        );
      }
      const fields = Object.keys(row)
        .filter((f) => f !== key.prop.name)
        .sort();
      if (fields.length === 0) {
        throw new InvalidArgumentError(`updateMany() rows[${index}]`, 'a row with at least one property to set', row);
      }
      const signature = fields.join('\0');
      const group = groups.get(signature) ?? { fields, rows: [] };
      group.rows.push(row);
      groups.set(signature, group);
    });
    for (const group of groups.values()) {
      for (const field of group.fields) {
        columnOf(meta, field, 'updateMany() rows');
      }
    }
    const chunkSize = this.chunkSize(options);
    const updated = await this.getEntityManager().transactional(async (trx) => {
      const dialect = await bulkDialectOf(trx);
      const keyColumn = bulkColumn(trx, key.prop, key.column);
      let updated = 0;
      for (const group of groups.values()) {
        const columns = group.fields.map((field) => ({ field, ...columnOf(meta, field, 'updateMany() rows') }));
        const setColumns: BulkColumn[] = columns.map((c) => bulkColumn(trx, c.prop, c.column));
        for (const part of chunk(group.rows, dialect.rowsPerStatement(columns.length + 1, chunkSize))) {
          const values = part.map((row) => [
            toDatabaseValue(trx, dialect, key.prop, (row as Dictionary)[key.prop.name]),
            ...columns.map((c) => toDatabaseValue(trx, dialect, c.prop, (row as Dictionary)[c.field])),
          ]);
          updated += (
            await executeStatement(trx, dialect, dialect.updateRows(tableOf(trx, meta), keyColumn, setColumns, values))
          ).affected;
        }
      }
      return updated;
    });
    await this.emitWrite(
      'update',
      rows.map((row) => (row as Dictionary)[key.prop.name]),
    );
    return updated;
  }

  /**
   * The caller's find options with the eager load in effect merged in: the one `@EagerLoad` set on
   * the running repository method for this entity, else the class-level default. Its paths are
   * checked against the entity's metadata on first use (`UnknownFieldError`).
   */
  private withEagerLoad<O extends object>(options: O | undefined): O {
    const meta = this.meta;
    const eager = currentEagerLoad(meta.className) ?? eagerLoadDefault(this.constructor);
    if (eager === undefined) {
      return (options ?? {}) as O;
    }
    assertEagerLoadPaths(meta, eager);
    return mergeEagerLoad(options, eager);
  }

  /** Runs a public method as a Stratum operation (see `currentOperation()`). */
  private run<R>(method: string, fn: () => Promise<R>): Promise<R> {
    return runInOperation({ repository: this.constructor.name, entity: this.meta.className, method }, fn);
  }

  /** How a batch of this repository's own reads is named in `currentBatch()`, e.g. `TrackRepository.stream`. */
  private batchName(method: string): string {
    return `${this.constructor.name}.${method}`;
  }

  /** Reports a finished bulk write to `onBulkWrite` listeners. */
  private emitWrite(
    operation: BulkWriteEvent['operation'],
    ids: readonly unknown[] | undefined,
    where?: unknown,
  ): Promise<void> {
    return emitBulkWrite({ entity: this.meta.className, operation, ids, where, em: this.getEntityManager() });
  }

  private chunkSize(options: BulkOptions): number {
    return assertPositiveInteger('chunkSize', options.chunkSize ?? this.defaultChunkSize);
  }

  private copyThreshold(options: BulkInsertOptions): number {
    const threshold = options.copyThreshold ?? this.defaultCopyThreshold;
    return threshold === Number.POSITIVE_INFINITY ? threshold : assertPositiveInteger('copyThreshold', threshold);
  }

  /** @inheritDoc */
  override getEntityManager(): SqlEntityManager {
    return super.getEntityManager();
  }
}

function primaryKeyHash(id: unknown): string {
  return Utils.getPrimaryKeyHash(Array.isArray(id) ? (id as string[]) : [id as string]);
}
