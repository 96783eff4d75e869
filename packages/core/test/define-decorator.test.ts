import { describe, expect, it } from 'vitest';
import { definitionError } from '../../../test/support/definition-error.js';
import { defineDecorator } from '../src/internal.js';

// What the legacy decorator calls below accept (the factory's own signature is untyped).
type LegacyDecorator = (...args: any[]) => any;

// Compiled with legacy decorators here; the standard path of each option is proven by the TC39
// fixtures of @Timed, @Batched, @EagerLoad and @Cached, which are built on defineDecorator.
describe('defineDecorator (legacy decorators)', () => {
  const decorated: string[] = [];
  const Marked = (statics: 'allow' | 'refuse' = 'allow') =>
    defineDecorator('@Marked()', {
      expected: 'a method or a class',
      generators: 'allow',
      statics,
      class: (target) => {
        decorated.push(`class ${target.name}`);
      },
      method: (method, member) => {
        decorated.push(`${member.className}.${member.label} static=${member.isStatic}`);
        return function (this: unknown, ...args: unknown[]) {
          return method.apply(this, args);
        };
      },
    }) as LegacyDecorator;

  it('decorates a class, a method and a generator method the spec accepts, keeping name and length', () => {
    decorated.length = 0;
    @Marked()
    class Catalog {
      @Marked()
      find(id: number, limit: number) {
        return [id, limit];
      }

      @Marked()
      *ids() {
        yield 1;
      }

      @Marked()
      static create() {
        return new Catalog();
      }
    }
    expect(decorated).toEqual([
      'Catalog.find static=false',
      'Catalog.ids static=false',
      'Catalog.create static=true',
      'class Catalog',
    ]);
    expect(new Catalog().find(1, 2)).toEqual([1, 2]);
    expect([Catalog.prototype.find.name, Catalog.prototype.find.length]).toEqual(['find', 2]);
  });

  it('refuses a static method when the spec says so, and a class without a class hook', () => {
    const error = definitionError(() => {
      class Catalog {
        @Marked('refuse')
        static create() {
          return 1;
        }
      }
      return Catalog;
    });
    expect(error.message).toBe(
      '@Marked() must decorate a method or a class, but was applied to the static member Catalog.create.',
    );
    const Plain = () => defineDecorator('@Plain()', { method: (method) => method }) as LegacyDecorator;
    const onClass = definitionError(() => {
      @Plain()
      class Catalog {}
      return Catalog;
    });
    expect(onClass.message).toBe('@Plain() must decorate a method, but was applied to the class Catalog.');
  });
});
