import { wrap } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { BaseRepository, InvalidArgumentError } from '@stratum/core';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import { TrackRepository } from '../../../examples/chinook/src/repositories/track-repository.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import {
  Cache,
  Cached,
  CacheKeyError,
  CacheSetupError,
  cacheOf,
  enableCache,
  InvalidatesCache,
  MemoryStore,
} from '../src/index.js';

const store = new MemoryStore();
const cache = new Cache({ store, namespace: 't' });

/** An app's repository, as users write them: cached reads, invalidating writes. */
class CachedTracks extends BaseRepository<Track> {
  loads = 0;

  constructor(em: SqlEntityManager) {
    super(em, Track);
  }

  @Cached({ key: 'track:{id}', tags: ['Track:{id}'], cache })
  async byId(id: number): Promise<Track | null> {
    this.loads++;
    return this.findOne(id);
  }

  @Cached({ key: 'tracks:genre:{filter.genreId}', tags: ['Track'], cache })
  async byGenre(filter: { genreId: number }): Promise<Track[]> {
    this.loads++;
    return this.find({ genre: filter.genreId }, { orderBy: { id: 'asc' }, limit: 5 });
  }

  @Cached({ key: 'found:{id}', cache, condition: (track: Track | null) => track !== null })
  async foundOnly(id: number): Promise<Track | null> {
    this.loads++;
    return this.findOne(id);
  }

  @Cached({ key: 'names:{q}', cache })
  async names(q: string): Promise<string[]> {
    this.loads++;
    return (await this.find({ name: { $like: `%${q}%` } }, { limit: 3, orderBy: { id: 'asc' } })).map((t) => t.name);
  }

  @InvalidatesCache({ keys: ['track:{id}'], cache })
  async rename(id: number, name: string): Promise<void> {
    await this.getEntityManager().nativeUpdate(Track, { id }, { name });
  }
}

describeEachDriver('@Cached and @InvalidatesCache on a repository', (ctx) => {
  const chinook = useChinook(ctx);
  // By repository class: the entity it serves (Track) invalidates on write.
  beforeAll(() => enableCache(chinook.orm, { cache, invalidateOnWrite: [TrackRepository] }));

  it('refuses a second enableCache for the same ORM, before it stacks a second set of write hooks', () => {
    expect(() => enableCache(chinook.orm, { invalidateOnWrite: [TrackRepository] })).toThrow(CacheSetupError);
    expect(() => enableCache(chinook.orm)).toThrow(/already called for this ORM/);
    expect(cacheOf(chinook.orm)).toBe(cache); // the first cache stays the ORM's
  });
  beforeEach(() => store.clear());

  it('answers the second call from the cache: no query, a managed entity of the caller’s EntityManager', async () => {
    const first = new CachedTracks(chinook.em());
    const track = await first.byId(1);
    const em = chinook.em();
    const second = new CachedTracks(em);
    chinook.resetQueries();
    const hit = await second.byId(1);
    expect(chinook.statements()).toEqual([]);
    expect(second.loads).toBe(0);
    expect(hit === track).toBe(false); // another request: its own instance
    expect(hit?.name).toBe(track?.name);
    expect(
      em
        .getUnitOfWork()
        .getIdentityMap()
        .values()
        .includes(hit as Track),
    ).toBe(true); // managed by the caller's EntityManager
    expect(wrap(hit as Track).isInitialized()).toBe(true);
  });

  it('a hit is not dirty: flush sends nothing; a change flushes only the changed column', async () => {
    await new CachedTracks(chinook.em()).byId(2);
    const em = chinook.em();
    const hit = (await new CachedTracks(em).byId(2)) as Track;
    chinook.resetQueries();
    await em.flush();
    expect(chinook.statements()).toEqual([]);
    hit.composer = 'Someone Else';
    await em.flush();
    const writes = chinook.statements(/^update/i);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.query).toMatch(/set [`"]composer[`"] = /);
    expect(writes[0]!.query).not.toMatch(/[`"]name[`"] =/);
  });

  it('resolves placeholders from parameter paths and caches lists', async () => {
    const repo = new CachedTracks(chinook.em());
    const a = await repo.byGenre({ genreId: 1 });
    const b = await repo.byGenre({ genreId: 1 });
    const c = await repo.byGenre({ genreId: 2 });
    expect(repo.loads).toBe(2);
    expect(b.map((t) => t.id)).toEqual(a.map((t) => t.id));
    expect(c[0]?.genre?.id).toBe(2);
  });

  it('caches only what the condition accepts: a missing row is asked again, a found one is not', async () => {
    const repo = new CachedTracks(chinook.em());
    await repo.foundOnly(999_999);
    await repo.foundOnly(999_999);
    expect(repo.loads).toBe(2);
    await repo.foundOnly(1);
    await repo.foundOnly(1);
    expect(repo.loads).toBe(3);
  });

  it('encodes placeholder values: a value with : or * never reaches another key', async () => {
    const repo = new CachedTracks(chinook.em());
    await repo.names('Rock');
    await repo.names('Ro*');
    await repo.names('Rock:');
    expect(repo.loads).toBe(3);
    await cache.invalidate({ patterns: ['names:Rock'] });
    await repo.names('Ro*');
    await repo.names('Rock:');
    expect(repo.loads).toBe(3); // neither was caught by the literal key's invalidation
  });

  it('keeps the entries of different MikroORM filter values apart (tenants)', async () => {
    const tenant = (genre: number) => {
      const em = chinook.em();
      em.addFilter({
        name: 'tenant',
        cond: (args: Record<string, number>) => ({ genre: args.genre }),
        entity: [Track],
      });
      em.setFilterParams('tenant', { genre });
      return new CachedTracks(em);
    };
    const rock = await tenant(1).byId(1); // track 1 is rock (genre 1)
    const jazz = await tenant(2).byId(1); // hidden by genre 2's filter
    expect(rock?.id).toBe(1);
    expect(jazz).toBeNull();
    expect(await tenant(1).byId(1)).not.toBeNull();
  });

  it('bypasses the cache inside a transaction: reads see uncommitted writes, nothing is cached', async () => {
    const outside = new CachedTracks(chinook.em());
    const before = (await outside.byId(3))?.name;
    await chinook
      .em()
      .transactional(async (em) => {
        await em.nativeUpdate(Track, { id: 3 }, { name: 'Inside' });
        const repo = new CachedTracks(em as SqlEntityManager);
        expect((await repo.byId(3))?.name).toBe('Inside');
        expect(repo.loads).toBe(1);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect((await new CachedTracks(chinook.em()).byId(3))?.name).toBe(before);
  });

  it('@InvalidatesCache runs after the method, and inside a transaction only after the commit', async () => {
    const reader = () => new CachedTracks(chinook.em());
    await reader().byId(4);
    await chinook.em().transactional(async (em) => {
      await new CachedTracks(em as SqlEntityManager).rename(4, 'Renamed in a transaction');
      const during = reader();
      expect((await during.byId(4))?.name).not.toBe('Renamed in a transaction'); // not committed: still the cached row
      expect(during.loads).toBe(0);
    });
    const after = reader();
    expect((await after.byId(4))?.name).toBe('Renamed in a transaction');
    expect(after.loads).toBe(1);
  });

  it('invalidates on flush, on Stratum bulk writes and on native writes (tags Track:<id> and Track)', async () => {
    const read = () => new CachedTracks(chinook.em());
    await read().byId(5);
    const em = chinook.em();
    const t5 = await em.findOneOrFail(Track, 5);
    t5.name = 'Flushed name';
    await em.flush();
    expect((await read().byId(5))?.name).toBe('Flushed name');

    await chinook.em().getRepository(Track).updateMany([5], { name: 'Bulk name' });
    expect((await read().byId(5))?.name).toBe('Bulk name');

    await read().byGenre({ genreId: 1 });
    await chinook.em().nativeUpdate(Track, { genre: 1, id: { $lte: 1 } }, { composer: 'Native' });
    const repo = read();
    await repo.byGenre({ genreId: 1 });
    expect(repo.loads).toBe(1); // the entity tag 'Track' was invalidated
  });

  it('refuses, when the class is defined, a placeholder that names no parameter, and bad options', () => {
    expect(() => {
      class Broken extends BaseRepository<Track> {
        @Cached({ key: 'track:{trackId}', cache })
        byId(id: number) {
          return this.findOne(id);
        }
      }
      return Broken;
    }).toThrow(CacheKeyError);
    expect(() => Cached({ ttl: 0 })).toThrow(InvalidArgumentError);
    expect(() => Cached({ key: 'x', nope: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => InvalidatesCache({})).toThrow(/at least one key, pattern or tag/);
    expect(() => {
      class Broken {
        @InvalidatesCache({ patterns: ['search:{q}:*'], cache })
        save(query: string) {
          return query;
        }
      }
      return Broken;
    }).toThrow(/names \{q\}, which is not a parameter of the method \(its parameters: query\)/);
  });
});

describeEachDriver('@InvalidatesCache without enableCache', (ctx) => {
  const chinook = useChinook(ctx);

  it('refuses to invalidate inside a transaction before enableCache(orm) is called', async () => {
    await expect(
      chinook.em().transactional((em) => new CachedTracks(em as SqlEntityManager).rename(6, 'x')),
    ).rejects.toThrow(CacheSetupError);
  });
});
