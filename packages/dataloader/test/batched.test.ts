import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import type { EntityManager } from '@mikro-orm/core';
import { InvalidArgumentError, InvalidDecoratorError, type StratumError } from '@stratum/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Album, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { definitionError } from '../../../test/support/definition-error.js';
import { tc39Compilers } from '../../../test/support/tc39/run-tc39-fixture.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { Batched, BatchResultError } from '../src/index.js';

// This file is compiled with LEGACY decorators (vitest.config.ts), as MikroORM apps are: every
// @Batched below takes the (target, key, descriptor) path. The standard (TC39) path is proven at the
// end, on fixtures compiled in a child process by swc and by TypeScript in standard mode.

const COMPOSERS = ['AC/DC', 'U2', 'Steve Harris'];

/** What a caller got: its value, or its error's class, code and message. */
async function settle(promise: Promise<unknown>): Promise<{ value: unknown } | { error: Record<string, unknown> }> {
  try {
    return { value: await promise };
  } catch (error) {
    const { name, code, message } = error as StratumError;
    return { error: { name, code, message, same: error } };
  }
}

/** Tracks by id, with a record of every batch it was asked for; `answer` shapes what the batch returns. */
class TrackLookup {
  readonly batches: (readonly number[])[] = [];
  answer: (keys: readonly number[], rows: Track[]) => unknown = (keys, rows) =>
    keys.map((id) => rows.find((row) => row.id === id) ?? null);

  constructor(readonly em: EntityManager) {}

  @Batched({ batch: 'findByIds', maxBatchSize: 3 })
  findById(_id: number): Promise<Track | null> {
    throw new Error('replaced by @Batched');
  }

  async findByIds(ids: readonly number[]): Promise<unknown> {
    this.batches.push(ids);
    const rows = await this.em.find(Track, { id: { $in: [...ids] } });
    return this.answer(ids, rows);
  }

  /** Each album's first track by id (matched by the `album` reference), or null. */
  @Batched({ batch: 'firstTracks', key: 'album' })
  firstTrackOf(_album: number | Album): Promise<Track | null> {
    throw new Error('replaced by @Batched');
  }

  firstTracks(albums: readonly (number | Album)[]): Promise<Track[]> {
    return this.em.find(Track, { album: { $in: [...albums] } }, { orderBy: { id: 'asc' } });
  }
}

describeEachDriver('@Batched', (ctx) => {
  const chinook = useChinook(ctx);

  describe('on a MikroORM repository (TrackRepository.findByComposer)', () => {
    it('turns the calls of one tick into ONE query, each caller getting its own rows', async () => {
      const expected = new Map<string, number[]>();
      for (const composer of COMPOSERS) {
        const rows = await chinook.em().find(Track, { composer }, { orderBy: { id: 'asc' } });
        expected.set(
          composer,
          rows.map((track) => track.id),
        );
      }
      expect(expected.get('Steve Harris')?.length).toBe(80);
      const tracks = chinook.em().getRepository(Track);
      chinook.resetQueries();
      const results = await Promise.all(
        [...COMPOSERS, 'AC/DC', 'Nobody At All'].map((composer) => tracks.findByComposer(composer)),
      );
      expect(results.map((rows) => rows.map((track) => track.id))).toEqual([
        expected.get('AC/DC'),
        expected.get('U2'),
        expected.get('Steve Harris'),
        expected.get('AC/DC'),
        [],
      ]);
      expect(results.flat().every((track) => track instanceof Track)).toBe(true);
      expect(chinook.statements()).toHaveLength(1);
      expect(chinook.statements()[0]?.query).toMatch(/in \(/i);
      // The same composer asked twice: one key in the query, each caller its own array of the same rows.
      expect(results[3]).not.toBe(results[0]);
      expect(results[3]?.[0]).toBe(results[0]?.[0]);
    });

    it('never caches across ticks: the next call runs a new query and sees the new rows', async () => {
      const em = chinook.em();
      const tracks = em.getRepository(Track);
      const before = await tracks.findByComposer('AC/DC');
      const renamed = await em.findOneOrFail(Track, before[0]?.id as number);
      const original = renamed.name;
      renamed.name = 'For Those About To Batch';
      await em.flush();
      try {
        chinook.resetQueries();
        const after = await tracks.findByComposer('AC/DC');
        expect(after.map((track) => track.id)).toEqual(before.map((track) => track.id));
        expect(after[0]?.name).toBe('For Those About To Batch');
        expect(chinook.statements()).toHaveLength(1);
      } finally {
        renamed.name = original;
        await em.flush();
      }
    });

    it('batches per repository, i.e. per EntityManager fork: two requests never share a batch', async () => {
      const first = chinook.em();
      const second = chinook.em();
      chinook.resetQueries();
      const [a, b] = await Promise.all([
        first.getRepository(Track).findByComposer('U2'),
        second.getRepository(Track).findByComposer('U2'),
      ]);
      expect(chinook.statements()).toHaveLength(2);
      expect(a.map((track) => track.id)).toEqual(b.map((track) => track.id));
      // Each fork's rows, in each fork's identity map.
      expect(a[0] === b[0]).toBe(false);
      expect((await first.findOneOrFail(Track, a[0]?.id as number)) === a[0]).toBe(true);
      expect((await second.findOneOrFail(Track, b[0]?.id as number)) === b[0]).toBe(true);
    });

    it('batches calls made after an await resolved in the same tick', async () => {
      const tracks = chinook.em().getRepository(Track);
      chinook.resetQueries();
      const results = await Promise.all(
        COMPOSERS.map(async (composer) => {
          await Promise.resolve();
          await null;
          return tracks.findByComposer(composer);
        }),
      );
      expect(results.map((rows) => rows.length)).toEqual([8, 44, 80]);
      expect(chinook.statements()).toHaveLength(1);
    });
  });

  describe('the batch method contract', () => {
    it('gets the distinct keys in first-call order, at most maxBatchSize per call', async () => {
      const lookup = new TrackLookup(chinook.em());
      chinook.resetQueries();
      const ids = [5, 1, 5, 2, 999_999, 1, 3, 4];
      const found = await Promise.all(ids.map((id) => lookup.findById(id)));
      expect(found.map((track) => track?.id ?? null)).toEqual([5, 1, 5, 2, null, 1, 3, 4]);
      expect(found[0]).toBe(found[2]);
      expect(lookup.batches).toEqual([
        [5, 1, 2],
        [999_999, 3, 4],
      ]);
      expect(chinook.statements()).toHaveLength(2);
    });

    it('accepts a Map from key to value: a key missing from it gets null', async () => {
      const lookup = new TrackLookup(chinook.em());
      lookup.answer = (_keys, rows) => new Map(rows.map((row) => [row.id, row.name]));
      const names = await Promise.all([1, 2, 999_999].map((id) => lookup.findById(id)));
      expect(names).toEqual(['For Those About To Rock (We Salute You)', 'Balls to the Wall', null]);
    });

    it('with key: matches rows to keys by that property, an entity reference by its primary key', async () => {
      const em = chinook.em();
      const lookup = new TrackLookup(em);
      const album2 = await em.findOneOrFail(Album, 2);
      chinook.resetQueries();
      const firsts = await Promise.all([lookup.firstTrackOf(1), lookup.firstTrackOf(album2), lookup.firstTrackOf(999)]);
      expect(firsts.map((track) => track?.id ?? null)).toEqual([1, 2, null]);
      expect(chinook.statements()).toHaveLength(1);
    });

    it('rejects every caller of the batch with the error the batch method rejects with', async () => {
      const lookup = new TrackLookup(chinook.em());
      const failure = new Error('the database is down');
      lookup.answer = () => Promise.reject(failure);
      const outcomes = await Promise.all([1, 2, 1].map((id) => settle(lookup.findById(id))));
      expect(outcomes).toEqual([1, 2, 3].map(() => ({ error: expect.objectContaining({ same: failure }) })));
      // The next tick is a new batch: it works again.
      lookup.answer = (keys) => keys.map((id) => id * 10);
      await expect(lookup.findById(4)).resolves.toBe(40);
    });

    it('rejects every caller when the batch method throws synchronously', async () => {
      const failure = new TypeError('bad keys');
      class Throwing {
        @Batched({ batch: 'loadAll' })
        load(_key: string): Promise<string> {
          throw new Error('replaced by @Batched');
        }

        loadAll(_keys: readonly string[]): string[] {
          throw failure;
        }
      }
      const throwing = new Throwing();
      const outcomes = await Promise.all(['a', 'b'].map((key) => settle(throwing.load(key))));
      expect(outcomes).toEqual([
        { error: expect.objectContaining({ same: failure }) },
        { error: expect.objectContaining({ same: failure }) },
      ]);
    });

    it('rejects only the caller whose key got an Error item; the others get their value', async () => {
      const lookup = new TrackLookup(chinook.em());
      const forbidden = new Error('track 2 is not for sale');
      lookup.answer = (keys, rows) =>
        keys.map((id) => (id === 2 ? forbidden : (rows.find((row) => row.id === id)?.name ?? null)));
      const outcomes = await Promise.all([1, 2, 3, 2].map((id) => settle(lookup.findById(id))));
      expect(outcomes).toEqual([
        { value: 'For Those About To Rock (We Salute You)' },
        { error: expect.objectContaining({ same: forbidden }) },
        { value: 'Fast As a Shark' },
        { error: expect.objectContaining({ same: forbidden }) },
      ]);
    });

    it('rejects every caller with BatchResultError when the array is not one item per key', async () => {
      const lookup = new TrackLookup(chinook.em());
      lookup.answer = (_keys, rows) => rows; // 999_999 has no row: 2 items for 3 keys
      const outcomes = await Promise.all([1, 2, 999_999].map((id) => settle(lookup.findById(id))));
      const error = {
        name: 'BatchResultError',
        code: 'E_BATCH_RESULT',
        message:
          'TrackLookup.findByIds(keys) returned 2 items for 3 keys: it must return one item per key, in the order ' +
          'of the keys (a value, or an Error for that key alone), or a Map from key to value.',
      };
      expect(outcomes).toEqual([1, 2, 3].map(() => ({ error: expect.objectContaining(error) })));
      const [first] = outcomes as { error: { same: unknown } }[];
      expect(first?.error.same).toBeInstanceOf(BatchResultError);
      expect(first?.error.same).toMatchObject({ batchMethod: 'TrackLookup.findByIds', keyCount: 3 });
    });

    it('rejects with BatchResultError when the batch returns neither an array nor a Map', async () => {
      const lookup = new TrackLookup(chinook.em());
      lookup.answer = () => ({ 1: 'one' });
      await expect(lookup.findById(1)).rejects.toThrow(
        'TrackLookup.findByIds(keys) returned an object (Object): it must return an array with one item per key',
      );
    });

    it('rejects a call that does not pass exactly one key', async () => {
      const lookup = new TrackLookup(chinook.em());
      const call = lookup.findById as (...args: unknown[]) => Promise<unknown>;
      await expect(call.call(lookup)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(call.call(lookup, 1, 2)).rejects.toThrow(
        'the arguments of TrackLookup.findById must be exactly one key (2 given), but got: [1,2].',
      );
      await expect(call.call(undefined, 1)).rejects.toThrow('this of the @Batched method findById must be an object');
    });
  });
});

describe('@Batched scheduling', () => {
  class Stamps {
    readonly batches: number[][] = [];

    @Batched({ batch: 'stampAll' })
    stamp(_key: number): Promise<string | undefined> {
      throw new Error('replaced by @Batched');
    }

    stampAll(keys: readonly number[]): (string | undefined)[] {
      this.batches.push([...keys]);
      return keys.map(() => requestId.getStore());
    }
  }
  const requestId = new AsyncLocalStorage<string>();

  it("runs the batch method in the async context of the tick's first caller", async () => {
    const stamps = new Stamps();
    const got = await Promise.all([
      requestId.run('first', () => stamps.stamp(1)),
      requestId.run('second', () => stamps.stamp(2)),
    ]);
    expect(got).toEqual(['first', 'first']);
  });

  it('starts a new batch on every tick: calls a timer apart are two batches', async () => {
    const stamps = new Stamps();
    const first = stamps.stamp(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await Promise.all([first, stamps.stamp(1), stamps.stamp(2)]);
    expect(stamps.batches).toEqual([[1], [1, 2]]);
  });
});

describe('@Batched misuse, caught when the class is defined (legacy decorators)', () => {
  it('is compiled here with legacy decorators (target, key, descriptor)', () => {
    const calls: number[] = [];
    const observe = (...args: unknown[]) => {
      calls.push(args.length);
    };
    class Probe {
      @observe
      @Batched({ batch: 'runAll' })
      run(_key: number): Promise<number> {
        throw new Error('replaced');
      }

      runAll(keys: readonly number[]): number[] {
        return keys.map((key) => key + 1);
      }
    }
    expect(calls).toEqual([3]);
    return expect(new Probe().run(1)).resolves.toBe(2);
  });

  it('throws InvalidArgumentError on bad options', () => {
    const bad = (options: unknown) => definitionError(() => Batched(options as never));
    expect(bad('findMany').message).toBe(
      '@Batched options must be an object (write @Batched({ batch: "findMany" })), but got: "findMany".',
    );
    expect(bad(undefined)).toBeInstanceOf(InvalidArgumentError);
    expect(bad({ batch: 'findMany', maxBatch: 10 }).message).toBe(
      '@Batched options must be an object with only the keys batch, maxBatchSize, key, many, but got: {"batch":"findMany","maxBatch":10}.',
    );
    expect(bad({}).message).toBe(
      '@Batched options.batch must be the name of the batch method (a non-empty string or a symbol), but got: undefined.',
    );
    expect(bad({ batch: '' }).code).toBe('E_INVALID_ARGUMENT');
    expect(bad({ batch: 'findMany', maxBatchSize: 0 }).message).toBe(
      '@Batched options.maxBatchSize must be a positive integer, but got: 0.',
    );
    expect(bad({ batch: 'findMany', maxBatchSize: 2.5 }).message).toContain('maxBatchSize must be a positive integer');
    expect(bad({ batch: 'findMany', key: '' }).message).toContain('options.key must be a property name');
    expect(bad({ batch: 'findMany', key: 'composer', many: 'yes' }).message).toContain(
      'options.many must be a boolean',
    );
    expect(bad({ batch: 'findMany', many: true }).message).toBe(
      '@Batched options.many must be used with options.key (the property that matches rows to keys), but got: true.',
    );
  });

  it('throws InvalidDecoratorError on anything but a single-key method', () => {
    const label = '@Batched({ batch: "findMany" })';
    const getter = definitionError(() => {
      class Report {
        // @ts-expect-error -- not a method: a type error too; the run-time error is what is checked.
        @Batched({ batch: 'findMany' })
        get total(): number {
          return 1;
        }
      }
      return Report;
    });
    expect(getter).toBeInstanceOf(InvalidDecoratorError);
    expect(getter.message).toBe(`${label} must decorate a method, but was applied to the getter Report.total.`);
    const field = definitionError(() => {
      class Report {
        // @ts-expect-error -- not a method: a type error too; the run-time error is what is checked.
        @Batched({ batch: 'findMany' })
        total = 1;
      }
      return Report;
    });
    expect(field.message).toBe(`${label} must decorate a method, but was applied to the field Report.total.`);
    const klass = definitionError(() => {
      // @ts-expect-error -- not a method: a type error too; the run-time error is what is checked.
      @Batched({ batch: 'findMany' })
      class Report {}
      return Report;
    });
    expect(klass.message).toBe(`${label} must decorate a method, but was applied to the class Report.`);
    const twoKeys = definitionError(() => {
      class Report {
        // @ts-expect-error -- two parameters: a type error too; the run-time error is what is checked.
        @Batched({ batch: 'findMany' })
        find(_a: number, _b: number): Promise<number> {
          throw new Error('replaced');
        }
      }
      return Report;
    });
    expect(twoKeys.message).toBe(
      `${label} must decorate a single-key method (one parameter: the key), but was applied to the method Report.find (2 parameters).`,
    );
    const itself = definitionError(() => {
      class Report {
        @Batched({ batch: 'findMany' })
        async findMany(_keys: readonly number[]): Promise<number[]> {
          return [];
        }
      }
      return Report;
    });
    expect(itself.message).toBe(
      `${label} must decorate the single-key method, not its batch method, but was applied to the method Report.findMany.`,
    );
  });

  it('throws InvalidDecoratorError when the class has a batch property that is not a method', () => {
    const error = definitionError(() => {
      class Report {
        get findMany(): number {
          return 1;
        }

        @Batched({ batch: 'findMany' })
        find(_key: number): Promise<number> {
          throw new Error('replaced');
        }
      }
      return Report;
    });
    expect(error.message).toBe(
      '@Batched({ batch: "findMany" }) must decorate a method of a class that has the batch method findMany(keys), ' +
        'but was applied to Report.find (findMany is an accessor).',
    );
  });

  it('rejects the calls while the batch method is missing; a subclass or an instance field may supply it', async () => {
    class Base {
      @Batched({ batch: 'findMany' })
      find(_key: number): Promise<string> {
        throw new Error('replaced');
      }
    }
    const missing = await settle(new Base().find(1));
    expect(missing).toEqual({
      error: expect.objectContaining({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message:
          '@Batched({ batch: "findMany" }) must decorate a method of a class that has the batch method findMany(keys), ' +
          'but was applied to Base.find (it has no method findMany).',
      }),
    });
    class Sub extends Base {
      findMany(keys: readonly number[]): string[] {
        return keys.map((key) => `sub ${key}`);
      }
    }
    class WithField extends Base {
      findMany = (keys: readonly number[]) => keys.map((key) => `field ${key}`);
    }
    await expect(Promise.all([new Sub().find(1), new WithField().find(2)])).resolves.toEqual(['sub 1', 'field 2']);
  });
});

describe('@Batched as a standard (TC39) decorator', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/batched-tc39/', import.meta.url));

  interface FixtureOutput {
    decoratorCalls: Record<string, unknown>[];
    results: Record<string, unknown>;
    misuse: Record<string, { name: string; code: string; message: string } | string>;
  }

  const compilers = tc39Compilers<FixtureOutput>(fixtures, 'runner.ts');

  describe.each(compilers)('compiled by %s', (_compiler, compile) => {
    let output: FixtureOutput;
    beforeAll(() => {
      output = compile();
    });

    it('is called the standard way, with (value, context)', () => {
      expect(output.decoratorCalls).toEqual([
        expect.objectContaining({ argumentCount: 2, kind: 'method', name: 'find', valueName: 'find' }),
      ]);
    });

    it('turns the calls of one tick into one batch call per instance, each caller getting its own outcome', () => {
      expect(output.results).toEqual({
        found: ['track 3', 'track 1', 'track 3', null],
        batches: [[3, 1, 404]],
        otherInstanceBatches: [[7]],
        nextTick: { found: 'track 3', batches: [[3, 1, 404], [3]] },
        byKey: [['composer A:1', 'composer A:2'], [], ['composer B:3']],
        errorItem: [{ value: 'track 1' }, { error: 'no track 13' }],
        rejected: [{ error: 'catalog offline' }, { error: 'catalog offline' }],
        wrongLength: [
          { error: 'BatchResultError: Catalog.findMany(keys) returned 1 items for 2 keys' },
          { error: 'BatchResultError: Catalog.findMany(keys) returned 1 items for 2 keys' },
        ],
        staticFind: 'static 5',
        privateFind: 'track 9',
        inheritedBatch: 'premium 2',
        wrapper: { name: 'find', length: 1 },
      });
    });

    it('throws InvalidDecoratorError at class definition on anything but a single-key method', () => {
      const error = (target: string, expected = 'a method') => ({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message: `@Batched({ batch: "findMany" }) must decorate ${expected}, but was applied to ${target}.`,
      });
      expect(output.misuse).toMatchObject({
        getter: error('the getter total'),
        field: error('the field total'),
        accessor: error('the accessor total'),
        class: error('the class Report'),
        generator: error('the generator method rows', 'a single-key method'),
        twoKeys: error('the method find (2 parameters)', 'a single-key method (one parameter: the key)'),
      });
    });

    it('checks the batch method when the first instance is constructed (static: when the class is defined)', () => {
      const missing = (target: string) => ({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message:
          '@Batched({ batch: "findMany" }) must decorate a method of a class that has the batch method findMany(keys), ' +
          `but was applied to ${target} (it has no method findMany).`,
      });
      expect(output.misuse).toMatchObject({
        missingDefined: 'no error',
        missingConstructed: missing('Orphan.find'),
        missingConstructedAgain: missing('Orphan.find'),
        missingStatic: missing('Orphans.find'),
        suppliedBySubclass: 'no error',
      });
    });
  });
});
