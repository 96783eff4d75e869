import { InvalidDecoratorError } from '../errors/invalid-decorator-error.js';
import {
  classNameOf,
  type DecoratorContextLike,
  isDecoratorContext,
  isGeneratorFunction,
  legacyMethodDescriptor,
  memberName,
} from './decorator-target.js';

/** A method as a decorator wraps it. */
export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** What a method decorator knows about the method it decorates. */
export interface DecoratedMember {
  /** The method's name, e.g. `findByComposer` (`String(key)`: `Symbol(load)` for a symbol). */
  readonly name: string;
  /** The method's property key. */
  readonly key: string | symbol;
  /** The name as messages and metric names show it: `findByComposer`, `[load]` for a symbol. */
  readonly label: string;
  /** The declaring class's name when known at decoration time (legacy decorators); TC39: `undefined`. */
  readonly className: string | undefined;
  /** Whether it is a static method. */
  readonly isStatic: boolean;
  /** Whether it is a `#private` method (standard decorators only). */
  readonly isPrivate: boolean;
  /**
   * Legacy decorators: the object that holds the method (the prototype, or the class for a static
   * method), complete when the decorator runs. Standard decorators: `undefined` (a method decorator
   * sees no sibling; use {@link DecoratorSpec.firstConstruction}).
   */
  readonly holder: object | undefined;
}

/** What {@link defineDecorator} builds a decorator from. */
export interface DecoratorSpec {
  /**
   * What the decorator accepts, as its misuse message says it: `@X() must decorate <expected>, but…`.
   * @default 'a method'
   */
  readonly expected?: string;
  /**
   * Generator methods: `'allow'`, or what the message says was expected when one is refused (wrapping
   * a generator acts on creating the iterator, not on the work).
   * @default 'a method that is not a generator'
   */
  readonly generators?: 'allow' | string;
  /**
   * Static methods: `'allow'` or `'refuse'` (`the static method m` / `the static member C.m`).
   * @default 'allow'
   */
  readonly statics?: 'allow' | 'refuse';
  /** Wraps the decorated method: returns its replacement (named and sized like the method). */
  readonly method: (method: AnyMethod, member: DecoratedMember) => AnyMethod;
  /** Decorates a class (legacy and standard); without it, a class is refused. */
  readonly class?: (target: abstract new (...args: never[]) => unknown) => void;
  /**
   * Standard decorators only: runs when the first instance of each class is constructed (before its
   * fields; a throw fails that construction, and the next one runs it again), or when the class is
   * defined for a static method — what a method decorator must check about its siblings. Legacy
   * decorators see the complete class body: check `member.holder` in {@link DecoratorSpec.method}.
   */
  readonly firstConstruction?: (instance: object, member: DecoratedMember) => void;
}

/**
 * Builds a decorator that works both as a TC39 (standard) decorator and as a legacy
 * (`experimentalDecorators`) one from a {@link DecoratorSpec}: it refuses, when the class is
 * defined, what the spec does not accept — getters, setters, fields, accessors, parameters, and
 * classes, generator methods and static methods unless the spec takes them — with an
 * {@link InvalidDecoratorError}, and replaces the method by what `spec.method` returns.
 *
 * @example
 * ```ts
 * export function Logged(): (...args: never[]) => unknown {
 *   return defineDecorator('@Logged()', {
 *     method: (method, member) =>
 *       function (this: unknown, ...args: unknown[]) {
 *         console.log(`${member.className ?? '?'}.${member.label}`, args);
 *         return method.apply(this, args);
 *       },
 *     class: (target) => console.log(`decorated ${target.name}`),
 *   });
 * }
 * ```
 */
export function defineDecorator(
  label: string,
  spec: DecoratorSpec,
): (target: unknown, key: unknown, descriptor?: unknown) => unknown {
  return (target, key, descriptor) =>
    isDecoratorContext(key)
      ? decorateStandard(label, spec, target, key)
      : decorateLegacy(label, spec, target, key, descriptor);
}

function decorateStandard(label: string, spec: DecoratorSpec, value: unknown, context: DecoratorContextLike): unknown {
  const expected = spec.expected ?? 'a method';
  const key = typeof context.name === 'string' || typeof context.name === 'symbol' ? context.name : undefined;
  const display = key === undefined ? String(context.name ?? 'anonymous') : memberName(key);
  if (context.kind === 'class' && spec.class !== undefined && typeof value === 'function') {
    spec.class(value as abstract new (...args: never[]) => unknown);
    return undefined;
  }
  if (context.kind !== 'method' || typeof value !== 'function' || key === undefined) {
    throw new InvalidDecoratorError(label, expected, `the ${context.kind} ${display}`);
  }
  const isStatic = context.static ?? context.isStatic ?? false;
  if (isStatic && spec.statics === 'refuse') {
    throw new InvalidDecoratorError(label, expected, `the static method ${display}`);
  }
  assertGenerator(label, spec, value, display);
  const member: DecoratedMember = {
    name: String(key),
    key,
    label: display,
    className: undefined,
    isStatic,
    isPrivate: context.private ?? context.isPrivate ?? false,
    holder: undefined,
  };
  const { firstConstruction } = spec;
  if (firstConstruction !== undefined) {
    const checked = new WeakSet<object>();
    context.addInitializer?.(function (this: unknown) {
      const instance = this as object;
      const owner = isStatic ? instance : (Object.getPrototypeOf(instance) as object | null);
      if (owner === null || checked.has(owner)) {
        return;
      }
      firstConstruction(instance, member);
      checked.add(owner);
    });
  }
  return sized(spec.method(value as AnyMethod, member), value as AnyMethod);
}

function decorateLegacy(
  label: string,
  spec: DecoratorSpec,
  target: unknown,
  key: unknown,
  descriptor: unknown,
): unknown {
  const expected = spec.expected ?? 'a method';
  if (typeof target === 'function' && key === undefined && descriptor === undefined && spec.class !== undefined) {
    spec.class(target as abstract new (...args: never[]) => unknown);
    return undefined;
  }
  if (
    spec.statics === 'refuse' &&
    typeof target === 'function' &&
    (typeof key === 'string' || typeof key === 'symbol') &&
    typeof descriptor !== 'number'
  ) {
    throw new InvalidDecoratorError(label, expected, `the static member ${classNameOf(target)}.${memberName(key)}`);
  }
  const { property, member: display } = legacyMethodDescriptor(label, expected, target, key, descriptor);
  assertGenerator(label, spec, property.value, display);
  const name = key as string | symbol;
  const member: DecoratedMember = {
    name: String(name),
    key: name,
    label: memberName(name),
    className: classNameOf(target),
    isStatic: typeof target === 'function',
    isPrivate: false,
    holder: target as object,
  };
  property.value = sized(spec.method(property.value as AnyMethod, member), property.value as AnyMethod);
  return property;
}

function assertGenerator(label: string, spec: DecoratorSpec, method: unknown, member: string): void {
  const generators = spec.generators ?? 'a method that is not a generator';
  if (generators !== 'allow' && isGeneratorFunction(method)) {
    throw new InvalidDecoratorError(label, generators, `the generator method ${member}`);
  }
}

/** Gives the wrapper the method's name (stack traces, `fn.name`) and parameter count (`fn.length`). */
function sized(wrapper: AnyMethod, original: AnyMethod): AnyMethod {
  if (wrapper !== original) {
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  }
  return wrapper;
}
