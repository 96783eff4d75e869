import { InvalidDecoratorError } from '../errors/invalid-decorator-error.js';

/**
 * The parts of Stratum's decorators that do not depend on what a decorator does: telling a TC39
 * decorator context from a legacy call, naming what was decorated, and refusing — when the class is
 * defined — what is not a method, with the same {@link InvalidDecoratorError} messages everywhere.
 */

/** What a TC39 decorator context looks like to Stratum (the 2021-12 spellings included). */
export interface DecoratorContextLike {
  kind: string;
  name?: unknown;
  static?: boolean;
  /** The 2021-12 proposal's spelling (some compilers still emit it). */
  isStatic?: boolean;
  private?: boolean;
  /** The 2021-12 proposal's spelling. */
  isPrivate?: boolean;
  addInitializer?: (initializer: (this: unknown) => void) => void;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as FunctionConstructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as FunctionConstructor;

/**
 * Whether a decorator's second argument is a TC39 context (otherwise it is a legacy property key).
 *
 * @example
 * ```ts
 * isDecoratorContext({ kind: 'method', name: 'find' }); // true
 * isDecoratorContext('find'); // false
 * ```
 */
export function isDecoratorContext(value: unknown): value is DecoratorContextLike {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

/**
 * Whether `fn` is a generator function (sync or async): wrapping one would act on creating the
 * iterator, not on the work.
 *
 * @example
 * ```ts
 * isGeneratorFunction(function* () {}); // true
 * isGeneratorFunction(async () => {}); // false
 * ```
 */
export function isGeneratorFunction(fn: unknown): boolean {
  return fn instanceof GeneratorFunction || fn instanceof AsyncGeneratorFunction;
}

/**
 * `C` for the class `C` itself (static members) or for `C.prototype` / an instance of `C`;
 * `anonymous` when it has no name.
 *
 * @example
 * ```ts
 * classNameOf(TrackRepository.prototype); // 'TrackRepository'
 * ```
 */
export function classNameOf(value: unknown): string {
  const name =
    typeof value === 'function'
      ? value.name
      : (value as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'anonymous';
}

/**
 * A member's name as messages and metric names show it: `find`, or `[description]` for a symbol.
 *
 * @example
 * ```ts
 * memberName(Symbol('load')); // '[load]'
 * ```
 */
export function memberName(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.description ?? ''}]` : key;
}

/**
 * What a legacy decorator was applied to when it got no property key: a parameter (its descriptor
 * is the parameter's index), a function, a value or an object.
 *
 * @example
 * ```ts
 * describeDecoratorTarget(TrackRepository, 0); // 'a parameter of TrackRepository'
 * ```
 */
export function describeDecoratorTarget(value: unknown, descriptor?: unknown): string {
  if (typeof descriptor === 'number') {
    return `a parameter of ${classNameOf(value)}`;
  }
  if (typeof value === 'function') {
    return `the function ${classNameOf(value)}`;
  }
  return value === null || typeof value !== 'object'
    ? `the value ${String(value)}`
    : `an object (${classNameOf(value)})`;
}

/**
 * The property descriptor of a method, as a legacy (`experimentalDecorators`) method decorator
 * receives it, and its name as `Class.method`; throws an {@link InvalidDecoratorError} (saying
 * `expected`) for a class, a parameter, a field, a getter, setter or accessor, or a property that
 * is not a function.
 *
 * @example
 * ```ts
 * function Logged(target: object, key: string | symbol, descriptor?: PropertyDescriptor) {
 *   const { property, member } = legacyMethodDescriptor('@Logged()', 'a method', target, key, descriptor);
 *   const method = property.value;
 *   property.value = function (...args: unknown[]) {
 *     console.log(member);
 *     return method.apply(this, args);
 *   };
 *   return property;
 * }
 * ```
 */
export function legacyMethodDescriptor(
  label: string,
  expected: string,
  target: unknown,
  key: unknown,
  descriptor: unknown,
): { property: PropertyDescriptor; member: string; key: string | symbol } {
  if (typeof key !== 'string' && typeof key !== 'symbol') {
    if (typeof target === 'function' && key === undefined && descriptor === undefined) {
      throw new InvalidDecoratorError(label, expected, `the class ${classNameOf(target)}`);
    }
    throw new InvalidDecoratorError(label, expected, describeDecoratorTarget(target, descriptor));
  }
  const member = `${classNameOf(target)}.${memberName(key)}`;
  if (typeof descriptor === 'number') {
    throw new InvalidDecoratorError(label, expected, `a parameter of ${member}`);
  }
  if (typeof descriptor !== 'object' || descriptor === null) {
    throw new InvalidDecoratorError(label, expected, `the field ${member}`);
  }
  const property = descriptor as PropertyDescriptor;
  if (property.get !== undefined || property.set !== undefined) {
    const kind = property.get === undefined ? 'setter' : property.set === undefined ? 'getter' : 'accessor';
    throw new InvalidDecoratorError(label, expected, `the ${kind} ${member}`);
  }
  if (typeof property.value !== 'function') {
    throw new InvalidDecoratorError(label, expected, `the property ${member} (a ${typeof property.value})`);
  }
  return { property, member, key };
}
