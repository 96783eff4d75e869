import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tc39Compilers } from '../../../test/support/tc39/run-tc39-fixture.js';

// This file is compiled with LEGACY decorators (vitest.config.ts), as MikroORM apps are. The standard
// (TC39) path of @Cached and @InvalidatesCache is proven here on fixtures/cached-tc39/, compiled in a
// child process by swc (decorators 2022-03) and by TypeScript in standard mode. The fixtures are plain
// services: a MikroORM repository under standard decorators would need its entities defined without
// legacy decorators (defineEntity), which is left to cached.test.ts's legacy-mode repository tests.

const fixtures = fileURLToPath(new URL('./fixtures/cached-tc39/', import.meta.url));

type Failure = { name: string; code: string; message: string };

interface FixtureOutput {
  decoratorCalls: Record<string, unknown>[];
  results: Record<string, unknown>;
  misuse: Record<string, Failure | string>;
}

const compilers = tc39Compilers<FixtureOutput>(fixtures, 'runner.ts');

describe.each(compilers)(
  '@Cached and @InvalidatesCache as standard (TC39) decorators, compiled by %s',
  (_, compile) => {
    let output: FixtureOutput;
    beforeAll(() => {
      output = compile();
    });

    it('are called the standard way, with (value, context), on instance, #private and static methods', () => {
      const call = (name: string, more: Record<string, unknown> = {}) =>
        expect.objectContaining({ argumentCount: 2, kind: 'method', name, static: false, private: false, ...more });
      expect(output.decoratorCalls).toEqual([
        call('square'),
        call('cube'),
        call('setSquare'),
        call('#secret', { private: true }),
        call('lookup', { static: true }),
      ]);
    });

    it('@Cached({ key: "sq:{n}" }) answers the second call with the same argument from the cache', () => {
      expect(output.results).toMatchObject({
        squares: [9, 9, 16],
        squareCalls: [3, 4],
        // The key is the class's, not the instance's: another instance reads the same entry.
        otherSquare: 9,
        otherCalls: [],
      });
    });

    it('@Cached() without a key caches per argument list under Class.method:<hash of the arguments>', () => {
      expect(output.results).toMatchObject({
        cubes: [8, 27, 8],
        cubeCalls: [2, 3],
        // Invalidating `MathService.cube:${hashOf([2])}` makes the next cube(2) run the method again.
        cubeAfterInvalidate: 8,
        cubeCallsAfterInvalidate: [2, 3, 2],
      });
    });

    it('@Cached turns a synchronous method into an async one, cached too', () => {
      expect(output.results).toMatchObject({ halfIsPromise: true, halves: [4, 4], halfCalls: [8] });
    });

    it('@Cached caches #private and static methods', () => {
      expect(output.results).toMatchObject({
        secret: ['secret 1', 'secret 1'],
        secretCalls: [1],
        constants: ['pi=2', 'pi=2'],
        constantCalls: 1,
      });
    });

    it('@InvalidatesCache({ keys: ["sq:{n}"] }) drops the entry when the method succeeds, keeps it when it throws', () => {
      expect(output.results).toMatchObject({
        invalidated: {
          set: { value: 'set 3' },
          square: 9,
          failed: { error: 'cannot set 4' },
          squareAfterFailure: 16,
        },
        // square(3) ran again after setSquare(3); square(4) did not after the failed setSquare(4).
        squareCallsAfter: [3, 4, 3],
      });
    });

    it('throws CacheKeyError at class definition for a placeholder that names no parameter', () => {
      // Standard decorators do not know the class's name while it is being defined: hence "(class)".
      const error = (key: string, where: string, name: string) => ({
        name: 'CacheKeyError',
        code: 'E_CACHE_KEY',
        message: `Cache key "${key}" in ${where} names {${name}}, which is not a parameter of the method (its parameters: n).`,
      });
      expect(output.misuse).toMatchObject({
        unknownPlaceholder: error('sq:{m}', '@Cached on (class).square', 'm'),
        unknownPlaceholderInTags: error('squares:{page}', '@Cached on (class).square (tags)', 'page'),
        invalidatesUnknownPlaceholder: error('sq:{id}', '@InvalidatesCache on (class).setSquare', 'id'),
      });
    });

    it('throws CacheKeyError at class definition for a placeholder path through a prototype', () => {
      expect(output.misuse).toMatchObject({
        prototypePlaceholder: {
          name: 'CacheKeyError',
          code: 'E_CACHE_KEY',
          message: expect.stringContaining('{n.constructor}, whose "constructor" names a prototype'),
        },
        protoPlaceholderInInvalidates: {
          name: 'CacheKeyError',
          code: 'E_CACHE_KEY',
          message: expect.stringContaining('{n.__proto__}, whose "__proto__" names a prototype'),
        },
      });
    });

    it('throws InvalidArgumentError at class definition for a ttl below 1 ms', () => {
      expect(output.misuse).toMatchObject({
        ttlBelowOneMs: {
          name: 'InvalidArgumentError',
          code: 'E_INVALID_ARGUMENT',
          message: expect.stringContaining('@Cached() options.ttl must be a positive number of milliseconds from 1'),
        },
      });
    });

    it('throws InvalidDecoratorError at class definition on a getter, setter, field, accessor, class or generator', () => {
      const error = (decorator: string, target: string, expected = 'a method') => ({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message: `${decorator} must decorate ${expected}, but was applied to ${target}.`,
      });
      expect(output.misuse).toMatchObject({
        getter: error('@Cached()', 'the getter total'),
        setter: error('@Cached()', 'the setter total'),
        field: error('@Cached()', 'the field total'),
        accessor: error('@Cached()', 'the accessor total'),
        class: error('@Cached()', 'the class Report'),
        generator: error('@Cached()', 'the generator method rows', 'a method that is not a generator'),
        invalidatesGetter: error('@InvalidatesCache()', 'the getter total'),
        invalidatesField: error('@InvalidatesCache()', 'the field total'),
      });
    });
  },
);
