import { BaseRepository, InvalidArgumentError, InvalidDecoratorError } from '@stratum/core';
import {
  type ActiveEagerLoad,
  type AnyMethod,
  assertEagerLoadPaths,
  assertPopulatePaths,
  classNameOf,
  defineDecorator,
  describeDecoratorTarget,
  EAGER_LOAD_DEFAULT,
  EAGER_LOAD_STRATEGIES,
  type EagerLoadSpec,
  type EagerLoadStrategy,
  isGeneratorFunction,
  runWithEagerLoad,
} from '@stratum/core/internal';
import type { EagerLoadReturnError, FailsWith, RepositoryEntity } from './eager-loaded.js';

/** Options of {@link EagerLoad}. */
export interface EagerLoadOptions {
  /**
   * How the eager relations are loaded: `'select-in'` (one extra query per relation level) or
   * `'joined'` (joined into the main query). Applies to the eager paths only; relations the caller
   * populates keep the caller's (or MikroORM's default) strategy.
   * @default MikroORM's `loadStrategy` (`'balanced'` unless configured)
   */
  strategy?: EagerLoadStrategy;
}

/** Any `BaseRepository`, whatever its entity (`BaseRepository<T>` is invariant in T: `any` accepts each). */
type AnyRepository = BaseRepository<any>;

/** Any class whose instances are a `BaseRepository` (what `@EagerLoad` on a class accepts). */
type RepositoryClass = abstract new (...args: never[]) => AnyRepository;

/**
 * What `@EagerLoad(paths)` returns: a decorator for a repository method or a repository class, both as
 * a TC39 (standard) decorator and as a legacy (`experimentalDecorators`) one. On a method, the compiler
 * checks that the paths are relation paths of the repository's entity and that the method's declared
 * result, when it is made of that entity, is typed as `EagerLoaded<Entity, typeof paths>`.
 */
export interface EagerLoadDecorator<Paths extends readonly string[]> {
  /** TC39 (standard) method decorator. */
  <This extends AnyRepository, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return> &
      FailsWith<EagerLoadReturnError<RepositoryEntity<This>, Paths[number], Return>>,
  ): (this: This, ...args: Args) => Return;
  /** TC39 (standard) class decorator. */
  <Class extends RepositoryClass>(
    value: Class,
    context: ClassDecoratorContext<Class> &
      FailsWith<EagerLoadReturnError<RepositoryEntity<InstanceType<Class>>, Paths[number], undefined>>,
  ): undefined;
  /** Legacy (`experimentalDecorators`) method decorator. */
  <This extends AnyRepository, Return>(
    target: This,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<(...args: never[]) => Return> &
      FailsWith<EagerLoadReturnError<RepositoryEntity<This>, Paths[number], Return>>,
  ): undefined;
  /** Legacy (`experimentalDecorators`) class decorator. */
  <Class extends RepositoryClass>(
    target: Class & FailsWith<EagerLoadReturnError<RepositoryEntity<InstanceType<Class>>, Paths[number], undefined>>,
  ): undefined;
}

/** What `@EagerLoad` declares on a method (see {@link eagerLoadOf}). */
export interface EagerLoadDeclaration {
  /** The decorator as written, e.g. `@EagerLoad(["artist"])`. */
  readonly decorator: string;
  /** The decorated method's name, e.g. `withArtist`. */
  readonly method: string;
  readonly populate: readonly string[];
  readonly strategy?: EagerLoadStrategy;
}

const OPTION_KEYS = new Set<string>(['strategy']);
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor;
const declarations = new WeakMap<object, EagerLoadDeclaration>();

/**
 * Populates relations of a repository's entity for what a method loads, or for every read of a
 * repository class. Works as a standard (TC39) decorator and as a legacy (`experimentalDecorators`) one.
 *
 * - On a method of a `BaseRepository` subclass: while the method runs (across `await`s, and for each
 *   step of an async generator method), the repository's read methods — `find`, `findOne`,
 *   `findOneOrFail`, `findAll`, `findAndCount`, `findPage`, `findByCursor`, `findByIds`, `stream` —
 *   populate `paths` for reads of THIS repository's entity (an `Album` read inside a `Track` method is
 *   left alone; `em.find` called directly is too). An inner decorated method wins over an outer one.
 * - On the class: the default of every read method of that repository (and subclasses), called from
 *   anywhere. A method-level `@EagerLoad` replaces it while the method runs.
 * - The caller's own `populate` is merged with the eager paths, never replaced; `populate: false`
 *   turns eager loading off for that call. `strategy` applies to the eager paths only (through
 *   MikroORM's `populateHints`; the caller's hints for the same path win).
 * - Types: a decorator cannot change a method's type; declare it with {@link EagerLoaded}. The compiler
 *   rejects paths that are not relation paths of the entity, and a method typed as returning entities
 *   that are not `Loaded` with the paths.
 * - Checked when the class is defined: the options (`InvalidArgumentError`, E_INVALID_ARGUMENT, for
 *   empty or non-string paths or an unknown strategy) and the target (`InvalidDecoratorError`,
 *   E_INVALID_DECORATOR, for a getter, setter, field, static method, or a class that is not a
 *   `BaseRepository`; under standard decorators a method's class is checked when the repository is
 *   constructed). Entity metadata is not known then: paths that name no relation throw
 *   `UnknownFieldError` (E_UNKNOWN_FIELD) at {@link checkEagerLoads}`(orm)` (call it after
 *   `MikroORM.init`), else on the method's first call (before its body runs) or, for the class
 *   default, on the repository's first read.
 *
 * @example
 * ```ts
 * const DETAILS = ['album.artist', 'genre'] as const;
 *
 * @EagerLoad(['artist'])
 * class AlbumRepository extends BaseRepository<Album> {}
 *
 * class TrackRepository extends BaseRepository<Track> {
 *   @EagerLoad(DETAILS, { strategy: 'joined' })
 *   byComposer(composer: string): Promise<EagerLoaded<Track, typeof DETAILS>[]> {
 *     return this.find({ composer }) as Promise<EagerLoaded<Track, typeof DETAILS>[]>;
 *   }
 * }
 * const [track] = await em.getRepository(Track).byComposer('Angus Young'); // one query
 * track?.album?.artist.name;
 * ```
 */
export function EagerLoad<const Paths extends readonly string[]>(
  paths: Paths,
  options?: EagerLoadOptions,
): EagerLoadDecorator<Paths> {
  if (typeof paths === 'function' || (typeof paths === 'object' && paths !== null && !Array.isArray(paths))) {
    throw new InvalidArgumentError(
      '@EagerLoad paths',
      "an array of relation paths (write @EagerLoad(['album']) with the paths)",
      typeof paths === 'function' ? `the function ${(paths as { name: string }).name}` : paths,
    );
  }
  const populate = assertPopulatePaths('@EagerLoad paths', paths);
  const strategy = readOptions(options);
  const label = `@EagerLoad(${JSON.stringify(populate)})`;
  const spec = { populate, ...(strategy === undefined ? {} : { strategy }) };

  return defineDecorator(label, {
    expected: EXPECTED,
    // Each step of a generator method's iterator runs with the eager load active.
    generators: 'allow',
    statics: 'refuse',
    class: (target) => setClassDefault(target, label, spec),
    method: (method, member) => {
      if (member.holder !== undefined && !(member.holder instanceof BaseRepository)) {
        throw new InvalidDecoratorError(
          label,
          EXPECTED,
          `the method ${member.className}.${member.label}, whose class is not a BaseRepository`,
        );
      }
      return eagerMethod(method, label, member.label, member.className, spec);
    },
    // Standard decorators: the method's class is known once an instance is constructed.
    firstConstruction: (instance, member) => {
      if (!(instance instanceof BaseRepository)) {
        throw new InvalidDecoratorError(label, EXPECTED, `the method ${classNameOf(instance)}.${member.label}`);
      }
    },
  }) as EagerLoadDecorator<Paths>;
}

/**
 * The `@EagerLoad` declaration of a decorated method (the function found on the repository's
 * prototype), or `undefined`.
 *
 * @example
 * ```ts
 * eagerLoadOf(AlbumRepository.prototype.withArtist)?.populate; // ['artist']
 * ```
 */
export function eagerLoadOf(method: unknown): EagerLoadDeclaration | undefined {
  return typeof method === 'function' ? declarations.get(method) : undefined;
}

interface Spec {
  readonly populate: readonly string[];
  readonly strategy?: EagerLoadStrategy;
}

function readOptions(options: EagerLoadOptions | undefined): EagerLoadStrategy | undefined {
  if (options === undefined) {
    return undefined;
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('@EagerLoad options', 'an object or undefined', options);
  }
  const unknownKeys = Object.keys(options).filter((key) => !OPTION_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new InvalidArgumentError('@EagerLoad options', 'an object with only the key strategy', options);
  }
  const { strategy } = options;
  if (strategy !== undefined && !EAGER_LOAD_STRATEGIES.includes(strategy)) {
    throw new InvalidArgumentError(
      '@EagerLoad options.strategy',
      `one of ${EAGER_LOAD_STRATEGIES.map((s) => `'${s}'`).join(', ')} or undefined`,
      strategy,
    );
  }
  return strategy;
}

const EXPECTED = 'a method or a class of a BaseRepository subclass';

function setClassDefault(target: unknown, label: string, spec: Spec): void {
  const name = classNameOf(target);
  if (typeof target !== 'function' || !(target.prototype instanceof BaseRepository)) {
    throw new InvalidDecoratorError(label, EXPECTED, `the class ${name}, which does not extend BaseRepository`);
  }
  if (Object.hasOwn(target, EAGER_LOAD_DEFAULT)) {
    throw new InvalidDecoratorError(label, 'a class at most once', `the class ${name}, which already has one`);
  }
  const value: EagerLoadSpec = { ...spec, source: `${label} on ${name}` };
  Object.defineProperty(target, EAGER_LOAD_DEFAULT, { value, configurable: true });
}

/**
 * Wraps a repository method: each call runs with the eager load active for the repository's entity
 * (for a generator method, each step of the iterator does). The entity, and the check of the paths
 * against its metadata, come from the first receiver of each entity.
 */
function eagerMethod(
  original: AnyMethod,
  label: string,
  member: string,
  className: string | undefined,
  spec: Spec,
): AnyMethod {
  const fn: object = original;
  const isGenerator = isGeneratorFunction(fn);
  const isAsync = fn instanceof AsyncFunction;
  const active = new Map<string, ActiveEagerLoad>();

  function activeFor(self: unknown): ActiveEagerLoad {
    if (!(self instanceof BaseRepository)) {
      throw new InvalidDecoratorError(
        label,
        EXPECTED,
        `the method ${member} called on ${describeDecoratorTarget(self)}`,
      );
    }
    const entity = self.getEntityName();
    let eager = active.get(entity);
    if (eager === undefined) {
      eager = { ...spec, entity, source: `${label} on ${className ?? classNameOf(self)}.${member}` };
      assertEagerLoadPaths(self.getEntityManager().getMetadata().getByClassName(entity), eager);
      active.set(entity, eager);
    }
    return eager;
  }

  const eagerLoading = function (this: unknown, ...args: unknown[]): unknown {
    let eager: ActiveEagerLoad;
    try {
      eager = activeFor(this);
    } catch (error) {
      if (isAsync) {
        return Promise.reject(error);
      }
      throw error;
    }
    const result = runWithEagerLoad(eager, () => original.apply(this, args));
    return isGenerator ? stepWith(eager, result as Iterator<unknown> & AsyncIterator<unknown>) : result;
  };
  declarations.set(eagerLoading, { ...spec, decorator: label, method: member });
  return eagerLoading;
}

/** The generator's iterator, with every step (`next`, `return`, `throw`) run with `eager` active. */
function stepWith(eager: ActiveEagerLoad, iterator: Iterator<unknown> & AsyncIterator<unknown>): unknown {
  const step =
    (name: 'next' | 'return' | 'throw') =>
    (value?: unknown): unknown =>
      runWithEagerLoad(eager, () => (iterator[name] as (value?: unknown) => unknown).call(iterator, value));
  const wrapped: Record<string | symbol, unknown> = {
    next: step('next'),
    return: step('return'),
    throw: step('throw'),
  };
  if (Symbol.asyncIterator in iterator) {
    wrapped[Symbol.asyncIterator] = () => wrapped;
  } else {
    wrapped[Symbol.iterator] = () => wrapped;
  }
  return wrapped;
}
