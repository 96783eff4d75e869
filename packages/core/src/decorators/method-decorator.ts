import { type AnyMethod, type DecoratedMember, defineDecorator } from './define-decorator.js';

export type { AnyMethod, DecoratedMember };

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
 * Builds a method decorator for both decorator modes from one `wrap(method, member)` (the
 * {@link defineDecorator} of a plain method decorator): the
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
  return defineDecorator(label, { method: wrap }) as DualMethodDecorator;
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
