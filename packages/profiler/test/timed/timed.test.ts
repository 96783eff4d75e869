import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, InvalidDecoratorError } from '@stratum/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { definitionError } from '../../../../test/support/definition-error.js';
import { tc39Compilers } from '../../../../test/support/tc39/run-tc39-fixture.js';
import { Timed } from '../../src/timed/timed.js';
import { resetTimedMetrics, type TimedSnapshot, timedMetrics } from '../../src/timed/timed-metrics.js';

// This file is compiled with LEGACY decorators (vitest.config.ts): every @Timed() below takes the
// (target, key, descriptor) path. The standard (TC39) path is proven at the end, on fixtures compiled
// in a child process by swc and by TypeScript in standard mode.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function metric(name: string): TimedSnapshot {
  const snapshot = timedMetrics()[name];
  if (snapshot === undefined) {
    throw new Error(`no metric ${name}; have: ${Object.keys(timedMetrics()).join(', ')}`);
  }
  return snapshot;
}

class LookupError extends Error {}

class TrackService {
  static created = 0;
  readonly prefix: string;

  constructor(prefix = 'track') {
    this.prefix = prefix;
  }

  @Timed()
  label(id: number, suffix = ''): string {
    return `${this.prefix}:${id}${suffix}`;
  }

  @Timed()
  async load(id: number, ms: number): Promise<{ id: number; by: string }> {
    await sleep(ms);
    return { id, by: this.prefix };
  }

  @Timed()
  explode(error: unknown): never {
    throw error;
  }

  @Timed()
  async reject(error: unknown, ms = 1): Promise<never> {
    await sleep(ms);
    throw error;
  }

  /** Not async: returns a promise, so it is timed until the promise settles. */
  @Timed()
  later(ms: number): Promise<string> {
    return new Promise((resolve) => setTimeout(() => resolve(this.prefix), ms));
  }

  @Timed('tracks.count')
  count(): number {
    return 3503;
  }

  @Timed()
  self(): this {
    return this;
  }

  @Timed()
  static create(prefix: string): TrackService {
    TrackService.created++;
    return new this(prefix);
  }
}

beforeEach(() => resetTimedMetrics());
afterEach(() => resetTimedMetrics());

describe('@Timed() on legacy-decorated methods', () => {
  it('is compiled here with legacy decorators (target, key, descriptor)', () => {
    const calls: number[] = [];
    const observe = (...args: unknown[]) => {
      calls.push(args.length);
    };
    class Probe {
      @observe
      @Timed()
      run(): number {
        return 1;
      }
    }
    expect(calls).toEqual([3]);
    expect(new Probe().run()).toBe(1);
  });

  it('times a sync method, passing arguments, this and the return value through', () => {
    const service = new TrackService('album');
    expect(service.label(7, '!')).toBe('album:7!');
    expect(service.label(8)).toBe('album:8');
    expect(service.self()).toBe(service);
    const snapshot = metric('TrackService.label');
    expect(snapshot).toMatchObject({ name: 'TrackService.label', calls: 2, errors: 0 });
    expect(snapshot.latency.count).toBe(2);
    expect(snapshot.latency.minMs).toBeGreaterThan(0);
    expect(snapshot.latency.maxMs).toBeLessThan(50);
    expect(snapshot.errorLatency.count).toBe(0);
  });

  it('times an async method until its promise settles', async () => {
    const service = new TrackService();
    const pending = service.load(3, 30);
    expect(timedMetrics()['TrackService.load']).toBeUndefined(); // still running: not counted yet
    await expect(pending).resolves.toEqual({ id: 3, by: 'track' });
    const { latency } = metric('TrackService.load');
    expect(latency.count).toBe(1);
    expect(latency.minMs).toBeGreaterThanOrEqual(25);
    expect(latency.maxMs).toBeLessThan(1000);
  });

  it('times a sync method that returns a promise until the promise settles', async () => {
    const service = new TrackService('later');
    const promise = service.later(30);
    expect(promise).toBeInstanceOf(Promise);
    await expect(promise).resolves.toBe('later');
    expect(metric('TrackService.later').latency.minMs).toBeGreaterThanOrEqual(25);
  });

  it('counts a thrown error apart and rethrows the very same error', () => {
    const service = new TrackService();
    const error = new LookupError('no such track');
    let caught: unknown;
    try {
      service.explode(error);
    } catch (thrown) {
      caught = thrown;
    }
    expect(caught).toBe(error);
    // Anything can be thrown, not only errors.
    expect(() => service.explode('a string')).toThrow('a string');
    const snapshot = metric('TrackService.explode');
    expect(snapshot).toMatchObject({ calls: 2, errors: 2 });
    expect(snapshot.latency.count).toBe(0);
    expect(snapshot.errorLatency.count).toBe(2);
  });

  it('counts a rejection apart and rejects with the very same reason', async () => {
    const service = new TrackService();
    const error = new LookupError('gone');
    await expect(service.reject(error, 20)).rejects.toBe(error);
    const snapshot = metric('TrackService.reject');
    expect(snapshot).toMatchObject({ calls: 1, errors: 1 });
    expect(snapshot.latency.count).toBe(0);
    expect(snapshot.errorLatency.count).toBe(1);
    expect(snapshot.errorLatency.minMs).toBeGreaterThanOrEqual(15);
  });

  it('names the metric ClassName.method by default, or as asked', () => {
    const service = new TrackService();
    service.count();
    service.label(1);
    expect(Object.keys(timedMetrics()).sort()).toEqual(['TrackService.label', 'tracks.count']);
  });

  it('times static methods, with the class as this', () => {
    const before = TrackService.created;
    const created = TrackService.create('static');
    expect(created).toBeInstanceOf(TrackService);
    expect(created.prefix).toBe('static');
    expect(TrackService.created).toBe(before + 1);
    expect(metric('TrackService.create').calls).toBe(1);
  });

  it('keeps the name and length of the method', () => {
    expect(TrackService.prototype.label.name).toBe('label');
    expect(TrackService.prototype.label.length).toBe(1); // `suffix` has a default
    expect(TrackService.prototype.load.length).toBe(2);
    expect(TrackService.create.name).toBe('create');
  });

  it('times overriding and inherited methods under the class that declares them', () => {
    class Shape {
      @Timed()
      describe(): string {
        return `a ${this.constructor.name.toLowerCase()}`;
      }
    }
    class Circle extends Shape {
      @Timed()
      override describe(): string {
        return `${super.describe()} (round)`;
      }
    }
    class Square extends Shape {}

    expect(new Circle().describe()).toBe('a circle (round)');
    expect(new Square().describe()).toBe('a square');
    expect(metric('Circle.describe').calls).toBe(1);
    expect(metric('Shape.describe').calls).toBe(2);
  });

  it('shares one metric among methods timed under the same name', () => {
    class A {
      @Timed('shared')
      run(): number {
        return 1;
      }
    }
    class B {
      @Timed('shared')
      async run(): Promise<number> {
        return 2;
      }
    }
    new A().run();
    return new B().run().then(() => {
      expect(metric('shared').calls).toBe(2);
    });
  });

  it('awaits a thenable that is not a promise, or hands it back untouched with awaitThenables: false', async () => {
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise is the point of the test.
    const thenable = { then: (resolve: (value: string) => void) => setTimeout(() => resolve('done'), 20) };
    class Lazy {
      @Timed()
      awaited(): unknown {
        return thenable;
      }
      @Timed(undefined, { awaitThenables: false })
      untouched(): unknown {
        return thenable;
      }
    }
    const lazy = new Lazy();
    const awaited = lazy.awaited();
    expect(awaited).toBeInstanceOf(Promise);
    await expect(awaited).resolves.toBe('done');
    expect(metric('Lazy.awaited').latency.minMs).toBeGreaterThanOrEqual(15);
    expect(lazy.untouched()).toBe(thenable);
    expect(metric('Lazy.untouched').latency.maxMs).toBeLessThan(15);
  });

  it('records many calls into a histogram with sensible percentiles', async () => {
    const service = new TrackService();
    await Promise.all([5, 10, 15, 20, 40].map((ms) => service.load(ms, ms)));
    const { latency } = metric('TrackService.load');
    expect(latency.count).toBe(5);
    expect(latency.minMs).toBeGreaterThanOrEqual(4);
    expect(latency.p50Ms).toBeGreaterThanOrEqual(14);
    expect(latency.maxMs).toBeGreaterThanOrEqual(39);
    expect(latency.p99Ms).toBe(latency.maxMs);
    expect(latency.meanMs * 5).toBeCloseTo(latency.totalMs, 9);
  });

  it('resetTimedMetrics() clears every metric, and timing goes on afterwards', () => {
    const service = new TrackService();
    service.label(1);
    expect(Object.keys(timedMetrics())).toEqual(['TrackService.label']);
    resetTimedMetrics();
    expect(timedMetrics()).toEqual({});
    service.label(2);
    expect(metric('TrackService.label').calls).toBe(1);
  });
});

describe('@Timed() misuse throws when the class is defined', () => {
  it('on a getter, a setter or an accessor pair', () => {
    const getter = definitionError(() => {
      class Report {
        @Timed()
        get total(): number {
          return 1;
        }
      }
      return Report;
    });
    expect(getter).toBeInstanceOf(InvalidDecoratorError);
    expect(getter.code).toBe('E_INVALID_DECORATOR');
    expect(getter.message).toBe('@Timed() must decorate a method, but was applied to the getter Report.total.');

    const setter = definitionError(() => {
      class Report {
        @Timed('report.total')
        set total(_value: number) {}
      }
      return Report;
    });
    expect(setter.message).toBe(
      '@Timed("report.total") must decorate a method, but was applied to the setter Report.total.',
    );

    const accessor = definitionError(() =>
      Timed()(class Report {}.prototype, 'total', { get: () => 1, set: () => {}, configurable: true }),
    );
    expect(accessor.message).toContain('the accessor Report.total');
  });

  it('on a field, a class, a parameter or a property that is not a function', () => {
    const decorate = Timed() as unknown as (...args: unknown[]) => unknown;
    class Report {}
    expect(definitionError(() => decorate(Report.prototype, 'total')).message).toContain('the field Report.total');
    expect(definitionError(() => decorate(Report.prototype, 'total', undefined)).code).toBe('E_INVALID_DECORATOR');
    expect(definitionError(() => decorate(Report)).message).toContain('the class Report');
    expect(definitionError(() => decorate(Report.prototype, 'run', 0)).message).toContain('a parameter of Report.run');
    expect(definitionError(() => decorate(Report, undefined, 0)).message).toContain('a parameter of Report');
    expect(definitionError(() => decorate(Report.prototype, 'total', { value: 1 })).message).toContain(
      'the property Report.total (a number)',
    );
  });

  it('on a generator method (it would time creating the iterator, not the work)', () => {
    const error = definitionError(() => {
      class Report {
        @Timed()
        *rows(): Generator<number> {
          yield 1;
        }
      }
      return Report;
    });
    expect(error.message).toContain('the generator method Report.rows');
  });

  it('with an empty or non-string name, or without parentheses', () => {
    const empty = definitionError(() => Timed(''));
    expect(empty).toBeInstanceOf(InvalidArgumentError);
    expect(empty.code).toBe('E_INVALID_ARGUMENT');
    expect(empty.message).toBe('@Timed name must be a non-empty string or undefined, but got: "".');
    expect(definitionError(() => Timed(42 as unknown as string)).message).toContain('but got: 42.');
    // `@Timed` without parentheses calls Timed(target, key, descriptor).
    const noParentheses = definitionError(() =>
      (Timed as unknown as (...args: unknown[]) => unknown)(
        TrackService.prototype,
        'label',
        Object.getOwnPropertyDescriptor(TrackService.prototype, 'label'),
      ),
    );
    expect(noParentheses.message).toContain('write @Timed() with parentheses');
  });

  it('with bad options', () => {
    expect(definitionError(() => Timed(undefined, 'fast' as never)).message).toContain('@Timed options must be');
    expect(definitionError(() => Timed(undefined, { awaitThenable: false } as never)).message).toContain(
      'only the keys awaitThenables',
    );
    expect(definitionError(() => Timed(undefined, { awaitThenables: 1 } as never)).message).toContain(
      '@Timed options.awaitThenables must be a boolean',
    );
  });
});

describe('@Timed() as a standard (TC39) decorator', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

  interface FixtureOutput {
    decoratorCalls: Record<string, unknown>[];
    results: Record<string, unknown>;
    misuse: Record<string, { name: string; code: string; message: string } | string>;
    metrics: Record<string, TimedSnapshot>;
  }

  const compilers = tc39Compilers<FixtureOutput>(fixtures, 'fixture-runner.ts');

  describe.each(compilers)('compiled by %s', (_compiler, compile) => {
    let output: FixtureOutput;
    beforeAll(() => {
      output = compile();
    });

    it('calls decorators the standard way, with (value, context)', () => {
      expect(output.decoratorCalls).toEqual([
        expect.objectContaining({ argumentCount: 2, kind: 'method', name: 'create', isStatic: true }),
        expect.objectContaining({ argumentCount: 2, kind: 'method', name: 'find', isStatic: false }),
        expect.objectContaining({ argumentCount: 2, kind: 'method', name: 'load', hasAddInitializer: true }),
        expect.objectContaining({ argumentCount: 2, kind: 'method', name: '#secret', isPrivate: true }),
      ]);
      // The value the outer decorator saw was @Timed()'s wrapper, which keeps the method's name.
      expect(output.decoratorCalls.slice(0, 3).map((call) => call.valueName)).toEqual(['create', 'find', 'load']);
    });

    it('passes arguments, this, return values and errors through', () => {
      expect(output.results).toEqual({
        circle: 'a circle (round)',
        square: 'a square',
        find: 'album:7!',
        load: { id: 3, by: 'album' },
        fail: 'sync boom',
        reject: { error: 'async boom', sameClass: true },
        laterIsPromise: true,
        later: 'album',
        custom: 42,
        created: 'static',
        createdIsCatalog: true,
        premium: 'premium gold:1',
        symbol: 'by symbol',
        secret: 7,
        unboundPing: 'pong',
        boundPing: 'pong',
        wrapper: { name: 'find', length: 1 },
      });
    });

    it('names and counts the metrics like the legacy path', () => {
      const calls = Object.fromEntries(
        Object.values(output.metrics).map((m) => [m.name, [m.calls, m.errors, m.latency.count]]),
      );
      expect(calls).toEqual({
        'Shape.describe': [2, 0, 2],
        'Circle.describe': [1, 0, 1],
        'Catalog.find': [2, 0, 2], // once directly, once through PremiumCatalog's super.find
        'PremiumCatalog.find': [1, 0, 1],
        'Catalog.load': [1, 0, 1],
        'Catalog.fail': [1, 1, 0],
        'Catalog.reject': [1, 1, 0],
        'Catalog.later': [2, 0, 2],
        'catalog.custom': [1, 0, 1],
        'Catalog.create': [2, 0, 2],
        'Catalog.[lookup]': [1, 0, 1],
        'Catalog.#secret': [1, 0, 1],
        // Called without a receiver first: timed, but the name is not fixed on that call.
        'anonymous.ping': [1, 0, 1],
        'Catalog.ping': [1, 0, 1],
      });
      expect(output.metrics['Catalog.load']?.latency.minMs).toBeGreaterThanOrEqual(12);
      expect(output.metrics['Catalog.later']?.latency.maxMs).toBeGreaterThanOrEqual(20);
      expect(output.metrics['Catalog.reject']?.errorLatency.count).toBe(1);
    });

    it('throws InvalidDecoratorError at class definition on anything but a method', () => {
      const error = (target: string) => ({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message: `@Timed() must decorate a method, but was applied to ${target}.`,
      });
      expect(output.misuse).toEqual({
        getter: error('the getter total'),
        setter: error('the setter total'),
        field: error('the field total'),
        accessor: error('the accessor total'),
        class: error('the class Report'),
        generator: error('the generator method rows'),
      });
    });
  });
});
