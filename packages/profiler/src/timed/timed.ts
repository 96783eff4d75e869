import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '@stratum/core';
import { type AnyMethod, classNameOf, type DecoratedMember, defineDecorator } from '@stratum/core/internal';
import { type TimedMetric, timedMetric } from './timed-metrics.js';

/** Options of {@link Timed}. */
export interface TimedOptions {
  /**
   * When a method returns a thenable that is not a native `Promise` (e.g. a lazy query builder), time
   * it until it settles: the caller then gets `Promise.resolve(thenable)` (a native promise of the same
   * outcome) instead of the thenable itself. Set `false` to hand the thenable back untouched and time
   * only the synchronous call. Native promises (every `async` method) are always timed until they settle.
   * @default true
   */
  awaitThenables?: boolean;
}

/**
 * What `@Timed(...)` returns: a method decorator that works both as a TC39 (standard) decorator and
 * as a legacy (`experimentalDecorators`) one.
 */
export interface TimedDecorator {
  /** TC39 (standard) method decorator. */
  <This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  /** Legacy (`experimentalDecorators`) method decorator. */
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
}

const OPTION_KEYS = new Set<string>(['awaitThenables']);
const NS_PER_MS = 1_000_000;

/**
 * Times every call of a method (sync or async) into a latency histogram named `name`, by default
 * `ClassName.method`; read them with {@link timedMetrics}. Works as a standard (TC39) decorator and as
 * a legacy (`experimentalDecorators`) one.
 *
 * - Arguments, `this`, the return value and exceptions pass through unchanged. A method that returns a
 *   promise (every `async` method) is timed until the promise settles; the caller gets the promise
 *   `promise.then(...)` derives (same value or rejection reason; an unhandled rejection stays
 *   unhandled). Other thenables: see {@link TimedOptions.awaitThenables}. Calls still running are not
 *   counted yet.
 * - Failed calls (thrown or rejected) count in `errors` and their latency goes to `errorLatency`, not
 *   `latency`: a fast failure does not make the method look faster.
 * - Cost: two `performance.now()` reads (measured a little cheaper than `process.hrtime.bigint()`, and
 *   no BigInt allocated) and a ~10 ns histogram record: about 0.12 µs on a sync call and 0.15-0.25 µs on
 *   an async one (which also pays the derived promise and its two reactions), on a 2-core Xeon with
 *   Node 24; `pnpm bench profiler` measures it. It sets no AsyncLocalStorage context and no
 *   Stratum operation.
 * - Misuse throws when the class is defined: on a getter, setter, field, accessor, class or generator
 *   method (`InvalidDecoratorError`, code `E_INVALID_DECORATOR`), or with an empty or non-string name
 *   (`InvalidArgumentError`, code `E_INVALID_ARGUMENT`).
 * - Under standard decorators the class part of the default name is found on the first call (the class
 *   whose prototype holds the method); for a `#private` method it is the class of the first receiver.
 *
 * @example
 * ```ts
 * class TrackService {
 *   @Timed()
 *   async search(text: string) {
 *     return tracks.find({ name: { $like: `%${text}%` } });
 *   }
 *
 *   @Timed('tracks.top')
 *   top() {
 *     return tracks.find({}, { orderBy: { plays: 'desc' }, limit: 10 });
 *   }
 * }
 * await new TrackService().search('love');
 * timedMetrics()['TrackService.search'].latency.p99Ms;
 * ```
 */
export function Timed(name?: string, options?: TimedOptions): TimedDecorator {
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    const hint = typeof name === 'object' || typeof name === 'function' ? ' (write @Timed() with parentheses)' : '';
    throw new InvalidArgumentError('@Timed name', `a non-empty string or undefined${hint}`, name);
  }
  const awaitThenables = readOptions(options);
  const label = name === undefined ? '@Timed()' : `@Timed(${JSON.stringify(name)})`;
  return defineDecorator(label, {
    // Timing a generator would time creating the iterator, not the work: refuse rather than mislead.
    generators: 'a method',
    method: (method, member) => timedMethod(method, member, name, awaitThenables),
  }) as TimedDecorator;
}

function readOptions(options: TimedOptions | undefined): boolean {
  if (options === undefined) {
    return true;
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('@Timed options', 'an object or undefined', options);
  }
  const unknownKeys = Object.keys(options).filter((key) => !OPTION_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new InvalidArgumentError(
      '@Timed options',
      `an object with only the keys ${[...OPTION_KEYS].join(', ')}`,
      options,
    );
  }
  const { awaitThenables = true } = options;
  if (typeof awaitThenables !== 'boolean') {
    throw new InvalidArgumentError('@Timed options.awaitThenables', 'a boolean', awaitThenables);
  }
  return awaitThenables;
}

/**
 * The timing wrapper of a decorated method. Its metric is known now when named, or for a legacy
 * decorator (the class is known); under standard decorators the class part of the default name is
 * found on the first call, from the receiver.
 */
function timedMethod(
  method: AnyMethod,
  member: DecoratedMember,
  name: string | undefined,
  awaitThenables: boolean,
): AnyMethod {
  if (name !== undefined || member.className !== undefined) {
    return timeMethod(method, timedMetric(name ?? `${member.className}.${member.label}`), undefined, awaitThenables);
  }
  const resolve = (self: unknown, timed: AnyMethod): TimedMetric | undefined => {
    if (self === null || self === undefined) {
      return undefined;
    }
    const owner = member.isPrivate ? undefined : declaringClassName(self, member.key, timed);
    return timedMetric(`${owner ?? classNameOf(self)}.${member.label}`);
  };
  return timeMethod(method, undefined, resolve, awaitThenables);
}

/**
 * Wraps `original`: times each call into `metric`, or into the metric `resolve` finds from the first
 * receiver. The hot path reads the clock twice, records once, and allocates only the two reactions
 * (and the derived promise) for an async call.
 */
function timeMethod(
  original: AnyMethod,
  metric: TimedMetric | undefined,
  resolve: ((self: unknown, timed: AnyMethod) => TimedMetric | undefined) | undefined,
  awaitThenables: boolean,
): AnyMethod {
  const timed = function (this: unknown, ...args: unknown[]): unknown {
    const target = metric ?? resolveMetric(this);
    const started = performance.now();
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      target.failed((performance.now() - started) * NS_PER_MS);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          target.succeeded((performance.now() - started) * NS_PER_MS);
          return value;
        },
        (error: unknown) => {
          target.failed((performance.now() - started) * NS_PER_MS);
          throw error;
        },
      );
    }
    if (awaitThenables && isThenable(result)) {
      return Promise.resolve(result).then(
        (value: unknown) => {
          target.succeeded((performance.now() - started) * NS_PER_MS);
          return value;
        },
        (error: unknown) => {
          target.failed((performance.now() - started) * NS_PER_MS);
          throw error;
        },
      );
    }
    target.succeeded((performance.now() - started) * NS_PER_MS);
    return result;
  };

  function resolveMetric(self: unknown): TimedMetric {
    const found = (resolve as (self: unknown, timed: AnyMethod) => TimedMetric | undefined)(self, timed);
    if (found === undefined) {
      // Called without a receiver: time it, but do not fix the name on that.
      return timedMetric(`anonymous.${original.name || 'method'}`);
    }
    metric = found;
    return found;
  }

  Object.defineProperty(timed, 'name', { value: original.name, configurable: true });
  Object.defineProperty(timed, 'length', { value: original.length, configurable: true });
  return timed;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The name of the class whose prototype (or, for a static method, which itself) holds `method` as `key`. */
function declaringClassName(self: unknown, key: string | symbol, method: AnyMethod): string | undefined {
  for (let holder: unknown = self; holder !== null && holder !== undefined; holder = Object.getPrototypeOf(holder)) {
    if (Object.getOwnPropertyDescriptor(holder, key)?.value === method) {
      return classNameOf(holder);
    }
  }
  return undefined;
}
