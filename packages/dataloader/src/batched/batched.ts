import { InvalidArgumentError, InvalidDecoratorError } from '@stratum/core';
import {
  type AnyMethod,
  classNameOf,
  type DecoratedMember,
  defineDecorator,
  memberName,
  runInBatch,
} from '@stratum/core/internal';
import { type BatchedOptions, type ResolvedBatchedOptions, readBatchedOptions } from './batched-options.js';
import { KeyBatcher } from './key-batcher.js';

/**
 * What `@Batched(...)` returns: a method decorator that works both as a TC39 (standard) decorator and
 * as a legacy (`experimentalDecorators`) one, on a method of one parameter (the key) returning a promise.
 */
export interface BatchedDecorator {
  /** TC39 (standard) method decorator. */
  <This, K, V>(
    method: (this: This, key: K) => Promise<V>,
    context: ClassMethodDecoratorContext<This, (this: This, key: K) => Promise<V>>,
  ): (this: This, key: K) => Promise<V>;
  /** Legacy (`experimentalDecorators`) method decorator. */
  <T extends (key: never) => Promise<unknown>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>;
}

/**
 * Batches a single-key method: the calls made on one instance in the same tick become ONE call of
 * the batch method named by `options.batch` (a method of the same class, own or inherited), and each
 * caller gets its own result or error. Works as a standard (TC39) decorator and as a legacy
 * (`experimentalDecorators`) one.
 *
 * **The decorated method's body never runs**: its signature types the callers; the batch method does
 * the work. Each call must pass exactly one argument, the key (else it rejects with
 * `InvalidArgumentError`).
 *
 * **The batch method** is called as `this[batch](keys)`, with `this` = the instance and `keys` a
 * `readonly K[]` of the tick's DISTINCT keys (compared with `SameValueZero`, as Map keys are: `42` and
 * `'42'` are two keys; two equal objects are two keys unless they are the same object), in first-call
 * order, at most `maxBatchSize` of them (more keys are split into several calls, started together). It
 * may be sync or async, and returns either:
 * - an array aligned with `keys` (same length, same order): each item is that key's value, or an
 *   `Error` that rejects only that key's callers;
 * - a `Map` from key to value (looked up with the key itself): a key missing from it gets `null`; an
 *   `Error` value rejects only that key's callers;
 * - with `options.key` (e.g. `'composer'`): an array of rows in any order, matched to keys by that
 *   property (an entity or reference there, e.g. `track.album`, counts as its primary key; a
 *   composite key and a `Date` compare by value): each key
 *   gets its first row or `null`, or with `many: true` all its rows in the batch's order (`[]` when none).
 *
 * When the batch method throws or rejects, every caller of that batch rejects with that same error.
 * A result that does not fit (an array of the wrong length, neither an array nor a Map) rejects every
 * caller of that batch with a `BatchResultError` (code `E_BATCH_RESULT`). Callers of one key share its
 * value (the same object; with `many: true` each caller gets its own array of the shared rows).
 *
 * **Scope and timing**: batching is per instance (a MikroORM repository lives as long as its
 * EntityManager fork, i.e. one request, so requests never share a batch) and per decorated method.
 * Nothing is cached: a batch is dispatched once the tick's promise jobs have run (as DataLoader
 * schedules), and the next call starts a new batch, so results are never stale. The batch method runs
 * in the async context (AsyncLocalStorage: MikroORM's RequestContext, a profiler scope) of the tick's
 * first caller. It has its own scheduler, not the `dataloader` package: DataLoader with `cache: false`
 * passes repeated keys through and counts them against `maxBatchSize`.
 *
 * **Checks**: options are checked when the class is defined (`InvalidArgumentError`, code
 * `E_INVALID_ARGUMENT`), and so is the target (`InvalidDecoratorError`, code `E_INVALID_DECORATOR`): a
 * getter, setter, field, accessor, class, generator method, a method declaring more than one parameter,
 * or the batch method itself. The batch method (`InvalidDecoratorError` when it is missing or not a
 * method):
 * - legacy decorators: at class definition when the prototype chain already has a property of that
 *   name (e.g. a getter or a number there throws); when it has none (a subclass or an instance field may
 *   supply it), on the first call on each instance, which rejects (and so does every call until it exists);
 * - standard decorators: a method decorator cannot see its siblings, so when the first instance of each
 *   class is constructed (the constructor throws), and when the class is defined for a static method. The
 *   batch must be a method there: instance fields are not initialized yet when the check runs.
 *
 * @example
 * ```ts
 * class TrackRepository extends BaseRepository<Track> {
 *   @Batched({ batch: 'findManyByComposer', key: 'composer', many: true })
 *   findByComposer(composer: string): Promise<Track[]> {
 *     throw new Error('replaced by @Batched'); // never runs
 *   }
 *
 *   findManyByComposer(composers: readonly string[]): Promise<Track[]> {
 *     return this.find({ composer: { $in: [...composers] } }, { orderBy: { id: 'asc' } });
 *   }
 * }
 *
 * const tracks = orm.em.fork().getRepository(Track);
 * // One query: select ... where composer in ('AC/DC', 'U2')
 * const [acdc, u2] = await Promise.all([tracks.findByComposer('AC/DC'), tracks.findByComposer('U2')]);
 * ```
 */
export function Batched(options: BatchedOptions): BatchedDecorator {
  const resolved = readBatchedOptions(options);
  const label = `@Batched({ batch: ${describeKey(resolved.batch)} })`;

  return defineDecorator(label, {
    generators: 'a single-key method',
    method: (method, member) => {
      const where = member.className === undefined ? member.label : `${member.className}.${member.label}`;
      assertSingleKeyMethod(method, label, where, resolved, member.key);
      if (member.holder !== undefined) {
        // Legacy decorators run once the class body is complete: a batch method declared on it (or
        // inherited) is on the prototype chain. Absent, a subclass or an instance field may still
        // supply it: the first call on each instance checks.
        const problem = batchMethodProblem(member.holder, resolved.batch);
        if (problem !== undefined && problem !== ABSENT) {
          throw missingBatchMethod(label, resolved, where, problem);
        }
      }
      return batchedMethod(resolved, label, member.label);
    },
    // Standard decorators: a method decorator cannot see its siblings, so the first construction of
    // each class (or its definition, for a static method) checks that the batch method is there.
    firstConstruction: (instance, member) => checkBatchMethod(instance, member, label, resolved),
  }) as BatchedDecorator;
}

function checkBatchMethod(
  instance: object,
  member: DecoratedMember,
  label: string,
  options: ResolvedBatchedOptions,
): void {
  const problem = batchMethodProblem(instance, options.batch);
  if (problem !== undefined) {
    throw missingBatchMethod(label, options, `${classNameOf(instance)}.${member.label}`, problem);
  }
}

function assertSingleKeyMethod(
  method: AnyMethod,
  label: string,
  member: string,
  options: ResolvedBatchedOptions,
  key: unknown,
): void {
  const { length } = method;
  if (length > 1) {
    throw new InvalidDecoratorError(
      label,
      'a single-key method (one parameter: the key)',
      `the method ${member} (${length} parameters)`,
    );
  }
  if (key === options.batch) {
    throw new InvalidDecoratorError(label, 'the single-key method, not its batch method', `the method ${member}`);
  }
}

/**
 * The replacement of the decorated method: one {@link KeyBatcher} per instance, made on its first
 * call once the batch method is found.
 */
function batchedMethod(options: ResolvedBatchedOptions, label: string, name: string): AnyMethod {
  const batchers = new WeakMap<object, KeyBatcher>();
  const batched = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    if ((typeof this !== 'object' && typeof this !== 'function') || this === null) {
      return Promise.reject(
        new InvalidArgumentError(`this of the @Batched method ${name}`, 'an object (call it on an instance)', this),
      );
    }
    if (args.length !== 1) {
      return Promise.reject(
        new InvalidArgumentError(
          `the arguments of ${classNameOf(this)}.${name}`,
          `exactly one key (${args.length} given)`,
          args,
        ),
      );
    }
    let batcher = batchers.get(this);
    if (batcher === undefined) {
      const problem = batchMethodProblem(this, options.batch);
      if (problem !== undefined) {
        return Promise.reject(missingBatchMethod(label, options, `${classNameOf(this)}.${name}`, problem));
      }
      const describe = () => `${classNameOf(this)}.${memberName(options.batch)}`;
      batcher = new KeyBatcher(
        (keys, callers) => {
          const batch = (this as Record<string | symbol, unknown>)[options.batch];
          if (typeof batch !== 'function') {
            throw missingBatchMethod(label, options, `${classNameOf(this)}.${name}`, `it is now a ${typeof batch}`);
          }
          const loader = describe();
          return runInBatch(
            callers === undefined ? { loader, keys: keys.length } : { loader, keys: keys.length, callers },
            () => (batch as AnyMethod).call(this, keys),
          );
        },
        options,
        describe,
      );
      batchers.set(this, batcher);
    }
    return batcher.load(args[0]);
  };
  return batched;
}

const ABSENT = 'absent';

/**
 * Why `holder` has no batch method `batch` (its own or on its prototype chain), or undefined when it
 * has one. Reads descriptors, so a getter is reported, never run.
 */
function batchMethodProblem(holder: object, batch: string | symbol): string | undefined {
  for (let current: object | null = holder; current !== null; current = Object.getPrototypeOf(current)) {
    const property = Object.getOwnPropertyDescriptor(current, batch);
    if (property === undefined) {
      continue;
    }
    if (property.get !== undefined || property.set !== undefined) {
      return `${memberName(batch)} is an accessor`;
    }
    return typeof property.value === 'function' ? undefined : `${memberName(batch)} is a ${typeof property.value}`;
  }
  return ABSENT;
}

function missingBatchMethod(
  label: string,
  options: ResolvedBatchedOptions,
  member: string,
  problem: string,
): InvalidDecoratorError {
  const why = problem === ABSENT ? `it has no method ${memberName(options.batch)}` : problem;
  return new InvalidDecoratorError(
    label,
    `a method of a class that has the batch method ${memberName(options.batch)}(keys)`,
    `${member} (${why})`,
  );
}

function describeKey(key: string | symbol): string {
  return typeof key === 'symbol' ? `Symbol(${key.description ?? ''})` : JSON.stringify(key);
}
