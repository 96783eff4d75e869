// What a cache hit may cost, counted instead of timed: the store operations and Redis commands a
// hit sends, how often it reads the arguments to build its key, and how many promises it creates.
// Each budget is what the hit path needs; a change that adds work to every hit (a second read, a
// tag lookup, an extra async layer, a key built twice) fails here — deterministically, on any
// machine and under any load — instead of showing up weeks later as a slower `pnpm bench cache`.
import { createHook } from 'node:async_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/harness/index.js';
import {
  Cache,
  Cached,
  type CacheEntry,
  type CacheRead,
  type CacheReadOptions,
  type CacheWriteOptions,
  MemoryStore,
  RedisStore,
} from '../src/index.js';

const HITS = 100;

/** A real MemoryStore that counts what the cache asks of it. */
class CountingMemoryStore extends MemoryStore {
  readonly calls = new Map<string, number>();

  #count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  override get<V>(key: string, _options?: CacheReadOptions): Promise<CacheRead<V>> {
    this.#count('get');
    return super.get(key);
  }

  override set<V>(key: string, entry: CacheEntry<V>, options?: CacheWriteOptions): Promise<boolean> {
    this.#count('set');
    return super.set(key, entry, options);
  }

  override tagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    this.#count('tagVersions');
    return super.tagVersions(tags);
  }

  override invalidateTags(tags: readonly string[]): Promise<void> {
    this.#count('invalidateTags');
    return super.invalidateTags(tags);
  }
}

const payload = {
  id: 1,
  name: 'For Those About To Rock (We Salute You)',
  milliseconds: 343_719,
  album: { id: 1, title: 'For Those About To Rock We Salute You', artist: { id: 1, name: 'AC/DC' } },
  genre: { id: 1, name: 'Rock' },
};

/**
 * The fewest promises one hit created, over {@link HITS} hits (async_hooks' `init` of type PROMISE,
 * counted around each hit): the hit's own count is the same every time, and anything else that runs
 * meanwhile (the test runner's timers) can only add to one hit's count, never take from it.
 */
async function promisesPerHit(hit: () => Promise<unknown>): Promise<number> {
  return fewestPerHit('PROMISE', hit);
}

/** The fewest async resources of `type` (async_hooks' names: PROMISE, Timeout, ...) one hit created, over {@link HITS} hits. */
async function fewestPerHit(resource: string, hit: () => Promise<unknown>): Promise<number> {
  let created = 0;
  let fewest = Number.POSITIVE_INFINITY;
  const hook = createHook({
    init(_id, type) {
      if (type === resource) created++;
    },
  });
  hook.enable();
  try {
    for (let i = 0; i < HITS; i++) {
      created = 0;
      await hit();
      fewest = Math.min(fewest, created);
    }
  } finally {
    hook.disable();
  }
  return fewest;
}

describe('a @Cached hit on a MemoryStore', () => {
  const store = new CountingMemoryStore();
  const cache = new Cache({ store, namespace: 'budget' });
  let loads = 0;

  class Tracks {
    @Cached({ key: 'track:{id}', cache })
    async byId(id: number) {
      loads++;
      return { ...payload, id };
    }

    @Cached({ key: 'search:{filter.genreId}', cache })
    async search(filter: { genreId: number }) {
      loads++;
      return [{ ...payload, genre: { id: filter.genreId, name: 'Rock' } }];
    }
  }
  const tracks = new Tracks();

  beforeAll(async () => {
    await tracks.byId(1); // the miss
    await tracks.search({ genreId: 1 });
    for (let i = 0; i < HITS; i++) await tracks.byId(1); // settle (JIT, lazy initialisation)
    store.calls.clear();
    loads = 0;
  });

  it('reads the store once and does nothing else with it', async () => {
    for (let i = 0; i < HITS; i++) expect((await tracks.byId(1)).id).toBe(1);
    expect(loads).toBe(0);
    expect(Object.fromEntries(store.calls)).toEqual({ get: HITS });
  });

  it('reads the property its key is built from once per hit', async () => {
    let reads = 0;
    const counted = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          reads++;
          return Reflect.get(object, property, receiver);
        },
        getOwnPropertyDescriptor(object, property) {
          reads++;
          return Reflect.getOwnPropertyDescriptor(object, property);
        },
        has(object, property) {
          reads++;
          return Reflect.has(object, property);
        },
        getPrototypeOf(object) {
          reads++;
          return Reflect.getPrototypeOf(object);
        },
        ownKeys(object) {
          reads++;
          return Reflect.ownKeys(object);
        },
      });
    const filter = counted({ genreId: 1 });
    for (let i = 0; i < HITS; i++) await tracks.search(filter);
    expect(loads).toBe(0);
    // `{filter.genreId}`: is `genreId` the argument's own property (inherited ones are refused, never
    // read), then its value — two operations on the argument, once per hit.
    expect(reads / HITS).toBe(2);
  });

  it('creates no more promises than its async layers need', async () => {
    // The decorated method, Cache.wrap, the guarded store call, MemoryStore.get and their awaits:
    // 7 promises per hit as the code stands; each extra async layer on the hit path adds some.
    const promises = await promisesPerHit(() => tracks.byId(1));
    expect(promises).toBeGreaterThan(0);
    expect(promises).toBeLessThanOrEqual(7);
    expect(loads).toBe(0);
  });

  it('hands out a private copy on every hit, in one copy', async () => {
    const a = await tracks.byId(1);
    const b = await tracks.byId(1);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.album).not.toBe(b.album);
    a.album.title = 'changed';
    expect((await tracks.byId(1)).album.title).toBe(payload.album.title);
  });
});

describe('a @Cached hit on a RedisStore (a redis-server of its own)', () => {
  let server: RedisServer;
  let client: Redis;
  let probe: Redis;
  let tracks: { byId(id: number): Promise<{ id: number }> };
  let loads = 0;

  /** Commands the server has processed, except the INFO calls of this probe. */
  async function commands(): Promise<Record<string, number>> {
    const info = await probe.info('commandstats');
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const [, name, calls] = match;
      if (name !== 'info') counts[name as string] = Number(calls);
    }
    return counts;
  }

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    probe = new Redis(server.url);
    const cache = new Cache({ store: new RedisStore({ client, namespace: 'budget' }), namespace: 'budget' });
    class Tracks {
      @Cached({ key: 'track:{id}', cache })
      async byId(id: number) {
        loads++;
        return { ...payload, id };
      }
    }
    tracks = new Tracks();
    await tracks.byId(1); // the miss
    await tracks.byId(1);
    loads = 0;
  });

  afterAll(async () => {
    client?.disconnect();
    probe?.disconnect();
    await server?.stop();
  });

  it('sends one command: the entry, its generation and the epoch in one MGET', async () => {
    const before = await commands();
    for (let i = 0; i < HITS; i++) expect((await tracks.byId(1)).id).toBe(1);
    const after = await commands();
    const sent = Object.fromEntries(
      Object.entries(after)
        .map(([name, calls]) => [name, calls - (before[name] ?? 0)] as const)
        .filter(([, calls]) => calls > 0),
    );
    expect(loads).toBe(0);
    expect(sent).toEqual({ mget: HITS });
  });

  it('creates no more promises than its async layers and the ioredis command need', async () => {
    // The decorated method, Cache.wrap, the guarded store call, its deadline, the ioredis command and
    // the reply handling: 10 per hit as the code stands (18 before the read was flattened, the
    // per-call timer went and the guarded call became one step; a memory hit: 7). An extra async layer on the Redis read (a wrapper, a
    // second await of the reply) adds some and fails here.
    const promises = await promisesPerHit(() => tracks.byId(1));
    expect(promises).toBeGreaterThan(0);
    expect(promises).toBeLessThanOrEqual(10);
    expect(loads).toBe(0);
  });

  it('arms no timer of its own: one shared deadline timer bounds every store call', async () => {
    // A setTimeout + clearTimeout per hit to bound it by operationTimeoutMs was a measurable share
    // of a hit; the Cache's one timer is armed at most once per timeout period, not per call.
    const timers = await fewestPerHit('Timeout', () => tracks.byId(1));
    expect(timers).toBe(0);
    expect(loads).toBe(0);
  });
});
