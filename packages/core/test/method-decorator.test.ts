import { describe, expect, it } from 'vitest';
import { InvalidDecoratorError } from '../src/index.js';
import { methodDecorator, parameterNames } from '../src/internal.js';

describe('parameterNames', () => {
  it('names plain parameters, with defaults, and leaves destructured and rest parameters unnamed', () => {
    expect(
      parameterNames((id: number, name = 'x', { genre }: { genre: number }, ...rest: unknown[]) => [
        id,
        name,
        genre,
        rest,
      ]),
    ).toEqual(['id', 'name', undefined, undefined]);
    expect(parameterNames((a: number, b: { c: number } = { c: 1 }) => a + b.c)).toEqual(['a', 'b']);
    expect(parameterNames(async (q: string) => q)).toEqual(['q']);
    expect(parameterNames(() => {})).toEqual([]);
  });

  it('reads the parameters of a class method', () => {
    class Repo {
      find(filter: { genreId: number }, /* comment, with a comma */ limit = 10) {
        return [filter, limit];
      }
    }
    expect(parameterNames(Repo.prototype.find)).toEqual(['filter', 'limit']);
  });
});

describe('methodDecorator (legacy decorators)', () => {
  const Traced = (calls: string[]) =>
    methodDecorator(
      '@Traced()',
      (method, member) =>
        function (this: unknown, ...args: unknown[]) {
          calls.push(`${member.className}.${member.name}`);
          return method.apply(this, args);
        },
    );

  it('wraps the method and tells the wrapper its class and name', () => {
    const calls: string[] = [];
    class Service {
      @Traced(calls)
      double(n: number) {
        return n * 2;
      }
    }
    expect(new Service().double(21)).toBe(42);
    expect(calls).toEqual(['Service.double']);
  });

  it('refuses a getter and a generator method when the class is defined', () => {
    expect(() => {
      class Bad {
        @Traced([])
        get value() {
          return 1;
        }
      }
      return Bad;
    }).toThrow(InvalidDecoratorError);
    expect(() => {
      class Bad {
        @Traced([])
        *items() {
          yield 1;
        }
      }
      return Bad;
    }).toThrow(/must decorate a method that is not a generator/);
  });
});
