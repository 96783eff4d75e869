import { InvalidDecoratorError } from '../errors/invalid-decorator-error.js';
import { classNameOf, isDecoratorContext, isGeneratorFunction, legacyMethodDescriptor } from './decorator-target.js';

/** A method as a decorator wraps it. */
export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** What a method decorator knows about the method it decorates. */
export interface DecoratedMember {
  /** The method's name, e.g. `findByComposer`. */
  readonly name: string;
  /** The declaring class's name when known at decoration time (legacy decorators); TC39: `undefined`. */
  readonly className: string | undefined;
}

/**
 * A decorator that works both as a TC39 (standard) method decorator and as a legacy
 * (`experimentalDecorators`) one.
 */
export interface DualMethodDecorator {
  <This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
}

/**
 * Builds a method decorator for both decorator modes from one `wrap(method, member)`: the
 * decorator refuses, when the class is defined, anything but a plain (async or sync) method —
 * getters, setters, fields, accessors, classes, parameters and generator methods — with an
 * {@link InvalidDecoratorError}, and replaces the method by what `wrap` returns.
 *
 * @example
 * ```ts
 * export function Logged(): DualMethodDecorator {
 *   return methodDecorator('@Logged()', (method, member) => function (this: unknown, ...args: unknown[]) {
 *     console.log(`${member.className ?? '?'}.${member.name}`, args);
 *     return method.apply(this, args);
 *   });
 * }
 * ```
 */
export function methodDecorator(
  label: string,
  wrap: (method: AnyMethod, member: DecoratedMember) => AnyMethod,
): DualMethodDecorator {
  return ((target: unknown, key: unknown, descriptor?: unknown) => {
    if (isDecoratorContext(key)) {
      const name = String(key.name);
      if (key.kind !== 'method' || typeof target !== 'function') {
        throw new InvalidDecoratorError(label, 'a method', `the ${key.kind} ${name}`);
      }
      assertNotGenerator(target, label, name);
      return named(wrap(target as AnyMethod, { name, className: undefined }), name);
    }
    const { property, member, key: name } = legacyMethodDescriptor(label, 'a method', target, key, descriptor);
    assertNotGenerator(property.value, label, member);
    property.value = named(
      wrap(property.value as AnyMethod, { name: String(name), className: classNameOf(target) }),
      String(name),
    );
    return property;
  }) as DualMethodDecorator;
}

/** Gives the wrapper the method's name (stack traces, `fn.name`). */
function named(wrapper: AnyMethod, name: string): AnyMethod {
  Object.defineProperty(wrapper, 'name', { value: name, configurable: true });
  return wrapper;
}

function assertNotGenerator(method: unknown, label: string, member: string): void {
  if (isGeneratorFunction(method)) {
    throw new InvalidDecoratorError(label, 'a method that is not a generator', `the generator method ${member}`);
  }
}

/**
 * The names of a function's parameters, read from its source: plain identifiers, with defaults and
 * TypeScript types already compiled away; a destructured parameter or a rest parameter gets
 * `undefined` in its place (it cannot be named).
 *
 * @example
 * ```ts
 * parameterNames(function (id, { genre }, ...rest) {}); // ['id', undefined, undefined]
 * ```
 */
export function parameterNames(fn: (...args: never[]) => unknown): (string | undefined)[] {
  const source = Function.prototype.toString.call(fn);
  const open = source.indexOf('(');
  if (open < 0) {
    // `x => ...`
    const arrow = /^\s*(?:async\s+)?([\w$]+)\s*=>/.exec(source);
    return arrow ? [arrow[1]] : [];
  }
  // The parameter list: from the first "(" to its matching ")".
  let depth = 0;
  let end = open;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    }
  }
  const list = source
    .slice(open + 1, end)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '');
  const params: string[] = [];
  let current = '';
  depth = 0;
  for (const c of list) {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      params.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim() !== '') params.push(current);
  return params.map((param) => /^\s*([\w$]+)\s*(?:=[\s\S]*)?$/.exec(param)?.[1]);
}
