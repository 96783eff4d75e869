import { fileURLToPath } from 'node:url';
import { type Loaded, wrap } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import {
  BaseRepository,
  type FindPageOptions,
  InvalidArgumentError,
  InvalidDecoratorError,
  UnknownFieldError,
} from '@stratum/core';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Album, Track } from '../../../examples/chinook/src/entities/index.js';
import {
  type ALBUM_WITH_ARTIST,
  type ALBUM_WITH_TRACKS,
  AlbumRepository,
} from '../../../examples/chinook/src/repositories/album-repository.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { definitionError } from '../../../test/support/definition-error.js';
import { tc39Compilers } from '../../../test/support/tc39/run-tc39-fixture.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { checkEagerLoads, EagerLoad, type EagerLoaded, eagerLoadOf } from '../src/index.js';

// This file is compiled with LEGACY decorators (vitest.config.ts): the standard (TC39) path is proven
// at the end, on fixtures compiled in a child process by swc and by TypeScript in standard mode.

const DETAILS = ['album.artist', 'genre'] as const;
type TrackDetails = EagerLoaded<Track, typeof DETAILS>;

/** A test-only Track repository (the example's TrackRepository belongs to another feature). */
class DetailedTracks extends BaseRepository<Track> {
  bodyRuns = 0;

  constructor(em: SqlEntityManager) {
    super(em, Track);
  }

  @EagerLoad(DETAILS, { strategy: 'select-in' })
  onAlbum(album: number, options: { populate?: readonly ['mediaType'] } = {}): Promise<TrackDetails[]> {
    this.bodyRuns++;
    return this.find({ album }, { ...options, orderBy: { id: 'asc' } }) as Promise<TrackDetails[]>;
  }

  @EagerLoad(DETAILS, { strategy: 'joined' })
  onAlbumJoined(album: number): Promise<TrackDetails[]> {
    return this.find({ album }, { orderBy: { id: 'asc' } }) as Promise<TrackDetails[]>;
  }

  /** Every read method, inside one decorated method. */
  @EagerLoad(['genre'])
  async everyRead(): Promise<Record<string, Loaded<Track, 'genre'>[]>> {
    const firstTwo = { id: { $in: [1, 2] } };
    const streamed: Loaded<Track, 'genre'>[] = [];
    for await (const track of this.stream(firstTwo, { batchSize: 1 })) {
      streamed.push(track as Loaded<Track, 'genre'>);
    }
    const [counted] = await this.findAndCount(firstTwo);
    return {
      find: await this.find(firstTwo),
      findOne: [(await this.findOne(1)) as Loaded<Track, 'genre'>],
      findOneOrFail: [await this.findOneOrFail(2)],
      findAll: await this.findAll({ where: firstTwo }),
      findAndCount: counted,
      findPage: (await this.findPage({ where: firstTwo })).items,
      findByCursor: (await this.findByCursor({ where: firstTwo, first: 2 })).items,
      findByIds: (await this.findByIds([1, 2])) as Loaded<Track, 'genre'>[],
      stream: streamed,
    } as Record<string, Loaded<Track, 'genre'>[]>;
  }

  /** Reads albums inside a Track method: the Track paths must not reach them. */
  @EagerLoad(DETAILS)
  async withAlbumsOf(album: number): Promise<{ tracks: TrackDetails[]; albums: Album[]; albumArtistLoaded: boolean }> {
    const albums = await this.getEntityManager().getRepository(Album).find({ id: album });
    const albumArtistLoaded = wrap(albums[0]!.artist).isInitialized();
    const tracks = (await this.find({ album })) as TrackDetails[];
    return { tracks, albums, albumArtistLoaded };
  }

  @EagerLoad(['mediaType'])
  async nested(album: number): Promise<{ inner: Record<string, boolean>; outer: Record<string, boolean> }> {
    const [first] = await this.onAlbum(album);
    const inner = { genre: wrap(first!.genre!).isInitialized(), mediaType: wrap(first!.mediaType).isInitialized() };
    const [again] = await this.find({ id: 2 });
    // track 2 is on album 2: the inner paths would load it, the outer ones do not
    return {
      inner,
      outer: { album: wrap(again!.album!).isInitialized(), mediaType: wrap(again!.mediaType).isInitialized() },
    };
  }

  @EagerLoad(['genre'])
  async *inBatches(album: number): AsyncGenerator<Loaded<Track, 'genre'>> {
    yield* this.stream({ album }, { batchSize: 3 }) as AsyncIterable<Loaded<Track, 'genre'>>;
  }

  @EagerLoad(['album'])
  async failing(message: string): Promise<never> {
    await this.find({ id: 1 });
    throw new Error(message);
  }

  @EagerLoad(['album.colour' as 'album'])
  async badPath(): Promise<Track[]> {
    this.bodyRuns++;
    return this.find({ id: 1 });
  }

  @EagerLoad(['name' as 'album'])
  async scalarPath(): Promise<Track[]> {
    return this.find({ id: 1 });
  }
}

/** Class-level default: every read of this repository loads the artist. */
@EagerLoad(['artist'], { strategy: 'joined' })
class AlbumsWithArtist extends AlbumRepository {
  constructor(em: SqlEntityManager) {
    super(em, Album);
  }

  @EagerLoad(['tracks'])
  withTracksOnly(id: number): Promise<Loaded<Album, 'tracks'> | null> {
    return this.findOne(id) as Promise<Loaded<Album, 'tracks'> | null>;
  }

  page(options: FindPageOptions<Album>) {
    return this.findPage(options);
  }
}

class MoreAlbumsWithArtist extends AlbumsWithArtist {}

@EagerLoad(['colour' as 'artist'])
class BadDefault extends BaseRepository<Album> {}

describeEachDriver('@EagerLoad', (ctx) => {
  const chinook = useChinook(ctx);
  const tracks = () => new DetailedTracks(chinook.em());

  describe('on a repository method', () => {
    it('loads the relations of what the method finds, select-in: one query per relation', async () => {
      const repo = tracks();
      chinook.resetQueries();
      const found = await repo.onAlbum(1);
      expect(found.map((track) => track.id)).toEqual([1, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      for (const track of found) {
        expect(wrap(track.album!).isInitialized()).toBe(true);
        expect(wrap(track.album!.artist).isInitialized()).toBe(true);
        expect(wrap(track.genre!).isInitialized()).toBe(true);
      }
      expect(found[0]!.album!.artist.name).toBe('AC/DC');
      expect(found[0]!.genre!.name).toBe('Rock');
      // track, then album, album.artist and genre: one query each
      expect(chinook.statements()).toHaveLength(4);
    });

    it('loads them in the same query with strategy joined', async () => {
      const repo = tracks();
      chinook.resetQueries();
      const found = await repo.onAlbumJoined(1);
      expect(found).toHaveLength(10);
      expect(wrap(found[0]!.album!.artist).isInitialized()).toBe(true);
      expect(wrap(found[0]!.genre!).isInitialized()).toBe(true);
      expect(found[9]!.album!.artist.name).toBe('AC/DC');
      expect(chinook.statements()).toHaveLength(1);
      expect(chinook.statements()[0]!.query).toMatch(/join/i);
    });

    it('populates nothing outside the method, on the same repository', async () => {
      const repo = tracks();
      await repo.onAlbum(2);
      const em = chinook.em();
      const plain = new DetailedTracks(em);
      chinook.resetQueries();
      const [track] = await plain.find({ album: 1 }, { orderBy: { id: 'asc' }, limit: 1 });
      expect(wrap(track!.album!).isInitialized()).toBe(false);
      expect(wrap(track!.genre!).isInitialized()).toBe(false);
      expect(chinook.statements()).toHaveLength(1);
    });

    it("merges the caller's populate with the eager paths instead of replacing them", async () => {
      const [track] = await tracks().onAlbum(1, { populate: ['mediaType'] });
      expect(wrap(track!.mediaType).isInitialized()).toBe(true);
      expect(wrap(track!.album!.artist).isInitialized()).toBe(true);
      expect(wrap(track!.genre!).isInitialized()).toBe(true);
    });

    it('applies to every read method called inside it: find, findOne(OrFail), findAll, findAndCount, findPage, findByCursor, findByIds, stream', async () => {
      const results = await tracks().everyRead();
      expect(Object.keys(results)).toHaveLength(9);
      for (const [method, found] of Object.entries(results)) {
        expect(found.length, method).toBeGreaterThan(0);
        for (const track of found) {
          expect(wrap(track.genre!).isInitialized(), method).toBe(true);
        }
      }
    });

    it("does not apply the entity's paths to reads of another entity inside the method", async () => {
      chinook.resetQueries();
      const { tracks: found, albums, albumArtistLoaded } = await tracks().withAlbumsOf(1);
      expect(albums.map((album) => album.title)).toEqual(['For Those About To Rock We Salute You']);
      expect(albumArtistLoaded).toBe(false);
      expect(wrap(found[0]!.album!.artist).isInitialized()).toBe(true);
      // the album read is one query on its own; the next one already reads tracks
      const [albumRead, next] = chinook.statements();
      expect(albumRead!.query).toMatch(/from [`"]?album[`"]?/i);
      expect(next!.query).toMatch(/from [`"]?track[`"]?/i);
    });

    it('lets an inner decorated method win, and the outer one apply again after it', async () => {
      const { inner, outer } = await tracks().nested(1);
      expect(inner).toEqual({ genre: true, mediaType: false });
      expect(outer).toEqual({ album: false, mediaType: true });
    });

    it('applies to every batch of an async generator method', async () => {
      const seen: number[] = [];
      for await (const track of tracks().inBatches(1)) {
        expect(wrap(track.genre!).isInitialized()).toBe(true);
        seen.push(track.id);
      }
      expect(seen).toEqual([1, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    });

    it('passes arguments, this, results and errors through, and keeps the name of the method', async () => {
      const repo = tracks();
      await repo.onAlbum(1);
      expect(repo.bodyRuns).toBe(1);
      const error = repo.failing('no luck');
      await expect(error).rejects.toThrow('no luck');
      expect(DetailedTracks.prototype.onAlbum.name).toBe('onAlbum');
      expect(eagerLoadOf(DetailedTracks.prototype.onAlbumJoined)).toEqual({
        decorator: '@EagerLoad(["album.artist","genre"])',
        method: 'onAlbumJoined',
        populate: ['album.artist', 'genre'],
        strategy: 'joined',
      });
    });

    it('works on the example AlbumRepository: search (select-in) and withTracks (joined)', async () => {
      const albums = chinook.em().getRepository(Album);
      expect(albums).toBeInstanceOf(AlbumRepository);
      chinook.resetQueries();
      const [facelift] = await albums.search('Facelift');
      expect(facelift!.artist.name).toBe('Alice In Chains');
      expect(chinook.statements()).toHaveLength(2);
      chinook.resetQueries();
      const album = await albums.withTracks(1);
      expect(album.tracks.getItems().map((track) => track.genre?.name)).toContain('Rock');
      expect(wrap(album.artist).isInitialized()).toBe(true);
      expect(chinook.statements()).toHaveLength(1);
    });
  });

  describe('on a repository class', () => {
    it('is the default of every read method of the repository, and of its subclasses', async () => {
      for (const Repository of [AlbumsWithArtist, MoreAlbumsWithArtist]) {
        const repo = new Repository(chinook.em());
        chinook.resetQueries();
        const [album] = await repo.find({ id: 1 });
        const page = await repo.page({ where: { id: { $in: [2, 3] } } });
        const one = await repo.findOneOrFail(4);
        expect([album!, ...page.items, one].map((a) => wrap(a.artist).isInitialized())).toEqual([
          true,
          true,
          true,
          true,
        ]);
        // joined: find 1, findPage 2 (rows + count), findOneOrFail 1
        expect(chinook.statements()).toHaveLength(4);
      }
    });

    it('leaves the parent repository class alone', async () => {
      const [album] = await chinook.em().getRepository(Album).find({ id: 1 });
      expect(wrap(album!.artist).isInitialized()).toBe(false);
    });

    it('gives way to a method-level @EagerLoad while that method runs', async () => {
      const album = await new AlbumsWithArtist(chinook.em()).withTracksOnly(1);
      expect(album!.tracks.isInitialized()).toBe(true);
      expect(wrap(album!.artist).isInitialized()).toBe(false);
    });

    it("merges with the caller's populate; populate: false turns it off for one call", async () => {
      const repo = new AlbumsWithArtist(chinook.em());
      const [album] = await repo.find({ id: 1 }, { populate: ['tracks'] });
      expect(album!.tracks.isInitialized()).toBe(true);
      expect(wrap(album!.artist).isInitialized()).toBe(true);
      const [plain] = await new AlbumsWithArtist(chinook.em()).find({ id: 2 }, { populate: false });
      expect(wrap(plain!.artist).isInitialized()).toBe(false);
    });
  });

  describe('paths checked against the entity metadata', () => {
    it('throws UnknownFieldError on the first call, before the method body runs', async () => {
      const repo = tracks();
      const error = await repo.badPath().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownFieldError);
      expect(error).toMatchObject({ code: 'E_UNKNOWN_FIELD', entity: 'Album', field: 'colour' });
      expect((error as Error).message).toBe(
        '@EagerLoad(["album.colour"]) on DetailedTracks.badPath: populate path "album.colour" names "colour", ' +
          'which is not a relation of Album. Relations of Album: artist, tracks.',
      );
      expect(repo.bodyRuns).toBe(0);
    });

    it('refuses a scalar property: it is not a relation', async () => {
      await expect(tracks().scalarPath()).rejects.toThrow(
        /populate path "name" names "name", which is a property but not a relation of Track/,
      );
    });

    it('checks a class default on the first read of the repository', async () => {
      const repo = new BadDefault(chinook.em(), Album);
      await expect(repo.find({ id: 1 })).rejects.toThrow(UnknownFieldError);
      await expect(repo.findPage()).rejects.toThrow(/@EagerLoad\(\["colour"\]\) on BadDefault: populate path "colour"/);
    });

    it('checkEagerLoads(orm) checks every repository of the ORM at startup', () => {
      expect(checkEagerLoads(chinook.orm)).toEqual(
        expect.arrayContaining([
          { entity: 'Album', repository: 'AlbumRepository', method: 'search', populate: ['artist'] },
          {
            entity: 'Album',
            repository: 'AlbumRepository',
            method: 'withTracks',
            populate: ['artist', 'tracks.genre'],
          },
        ]),
      );
      const orm = {
        getMetadata: () => chinook.orm.getMetadata(),
        config: { getRepositoryClass: (repository: unknown) => (repository === undefined ? undefined : BadDefault) },
      };
      expect(() => checkEagerLoads(orm as never)).toThrow(UnknownFieldError);
    });
  });
});

describe('@EagerLoad misuse throws when the class is defined', () => {
  it('with empty or non-string paths, or without parentheses', () => {
    const empty = definitionError(() => EagerLoad([]));
    expect(empty).toBeInstanceOf(InvalidArgumentError);
    expect(empty.code).toBe('E_INVALID_ARGUMENT');
    expect(empty.message).toBe(
      "@EagerLoad paths must be a non-empty array of relation paths such as ['album.artist', 'genre'], but got: [].",
    );
    expect(definitionError(() => EagerLoad('album' as never)).message).toContain('but got: "album"');
    expect(definitionError(() => EagerLoad([42] as never)).message).toBe(
      '@EagerLoad paths[0] must be a non-empty string, but got: 42.',
    );
    expect(definitionError(() => EagerLoad(['album', ''])).message).toContain('@EagerLoad paths[1]');
    expect(definitionError(() => EagerLoad(['album..artist'])).message).toContain('a dotted path of relation names');
    const noParentheses = definitionError(() =>
      (EagerLoad as unknown as (...args: unknown[]) => unknown)(DetailedTracks.prototype, 'onAlbum', {}),
    );
    expect(noParentheses.message).toContain("write @EagerLoad(['album']) with the paths");
  });

  it('with an unknown strategy or option', () => {
    const strategy = definitionError(() => EagerLoad(['album'], { strategy: 'lazy' as never }));
    expect(strategy).toBeInstanceOf(InvalidArgumentError);
    expect(strategy.message).toBe(
      "@EagerLoad options.strategy must be one of 'select-in', 'joined' or undefined, but got: \"lazy\".",
    );
    expect(definitionError(() => EagerLoad(['album'], { stratgy: 'joined' } as never)).message).toContain(
      'only the key strategy',
    );
    expect(definitionError(() => EagerLoad(['album'], 'joined' as never)).message).toContain(
      '@EagerLoad options must be an object',
    );
  });

  it('on a getter, a field, a static method, or a class that is not a BaseRepository', () => {
    const getter = definitionError(() => {
      class Tracks extends BaseRepository<Track> {
        // @ts-expect-error -- not a method: the run-time error is what is checked.
        @EagerLoad(['album'])
        get first(): number {
          return 1;
        }
      }
      return Tracks;
    });
    expect(getter).toBeInstanceOf(InvalidDecoratorError);
    expect(getter.code).toBe('E_INVALID_DECORATOR');
    expect(getter.message).toBe(
      '@EagerLoad(["album"]) must decorate a method or a class of a BaseRepository subclass, but was applied to the getter Tracks.first.',
    );
    const decorate = EagerLoad(['album']) as unknown as (...args: unknown[]) => unknown;
    expect(definitionError(() => decorate(DetailedTracks.prototype, 'total')).message).toContain(
      'the field DetailedTracks.total',
    );
    expect(definitionError(() => decorate(DetailedTracks, 'create', { value: () => 1 })).message).toContain(
      'the static member DetailedTracks.create',
    );
    class Service {
      run(): number {
        return 1;
      }
    }
    expect(
      definitionError(() =>
        decorate(Service.prototype, 'run', Object.getOwnPropertyDescriptor(Service.prototype, 'run')),
      ).message,
    ).toContain('the method Service.run, whose class is not a BaseRepository');
    expect(definitionError(() => decorate(Service)).message).toContain(
      'the class Service, which does not extend BaseRepository',
    );
    expect(definitionError(() => decorate(AlbumsWithArtist)).message).toContain('at most once');
  });
});

describe('@EagerLoad types', () => {
  it('EagerLoaded<T, typeof paths> is MikroORM’s Loaded<T, paths>', () => {
    expectTypeOf<TrackDetails>().toEqualTypeOf<Loaded<Track, 'album.artist' | 'genre'>>();
    expectTypeOf<EagerLoaded<Album, typeof ALBUM_WITH_ARTIST>>().toEqualTypeOf<Loaded<Album, 'artist'>>();
    expectTypeOf<AlbumRepository['withTracks']>().returns.resolves.toEqualTypeOf<
      Loaded<Album, (typeof ALBUM_WITH_TRACKS)[number]>
    >();
    expectTypeOf<TrackDetails['album']>().not.toEqualTypeOf<Track['album']>();
  });

  it('rejects, at compile time, a method typed as returning entities without the paths, and unknown paths', () => {
    // Each class below compiles only thanks to its @ts-expect-error (tsc -p tsconfig.json checks this file).
    class Wrong extends BaseRepository<Track> {
      // @ts-expect-error -- returns Loaded<Track, never>[]: the decorator asks for Loaded<Track, 'album.artist' | 'genre'>.
      @EagerLoad(DETAILS)
      notLoaded() {
        return this.find({ id: 1 });
      }

      // @ts-expect-error -- 'album.colour' is not a populate path of Track.
      @EagerLoad(['album.colour'])
      unknownPath(): Promise<number> {
        return this.count();
      }

      // A method that returns no Track is fine: the populate serves its own work.
      @EagerLoad(DETAILS)
      async artistNames(): Promise<string[]> {
        const found = (await this.find({ album: 1 })) as TrackDetails[];
        return found.map((track) => track.album?.artist.name ?? '');
      }
    }
    // @ts-expect-error -- on a class: 'colour' is not a relation of Album.
    @EagerLoad(['colour'])
    class WrongDefault extends BaseRepository<Album> {}
    expect([Wrong, WrongDefault]).toHaveLength(2);
  });
});

describe('@EagerLoad as a standard (TC39) decorator', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/eager-load-tc39/', import.meta.url));

  interface FixtureOutput {
    decoratorCalls: { argumentCount: number; kind: string; name: string }[];
    results: Record<string, unknown>;
    misuse: Record<string, { name: string; code: string; message: string } | string>;
  }

  const compilers = tc39Compilers<FixtureOutput>(fixtures, 'fixture-runner.ts');

  describe.each(compilers)('compiled by %s', (_compiler, compile) => {
    let output: FixtureOutput;
    beforeAll(() => {
      output = compile();
    });

    it('is called the standard way, with (value, context)', () => {
      expect(output.decoratorCalls).toEqual([
        { argumentCount: 2, kind: 'method', name: 'titled' },
        { argumentCount: 2, kind: 'class', name: 'AlbumsWithArtist' },
      ]);
    });

    it('populates for the method and as the class default, with the same queries as the legacy path', () => {
      expect(output.results).toEqual({
        titled: { artist: 'AC/DC', artistLoaded: true, queries: 2 },
        outside: { artistLoaded: false, queries: 1 },
        classDefault: { artistLoaded: true, queries: 1 },
        methodWins: { artistLoaded: false, tracksLoaded: true },
        badPath: {
          name: 'UnknownFieldError',
          code: 'E_UNKNOWN_FIELD',
          message:
            '@EagerLoad(["colour"]) on Albums.badPath: populate path "colour" names "colour", ' +
            'which is not a relation of Album. Relations of Album: artist, tracks.',
        },
      });
    });

    it('throws InvalidDecoratorError at class definition on anything but a repository method or class', () => {
      const error = (target: string) => ({
        name: 'InvalidDecoratorError',
        code: 'E_INVALID_DECORATOR',
        message: `@EagerLoad(["artist"]) must decorate a method or a class of a BaseRepository subclass, but was applied to ${target}.`,
      });
      expect(output.misuse).toEqual({
        getter: error('the getter first'),
        field: error('the field total'),
        staticMethod: error('the static method create'),
        notRepositoryClass: error('the class Report, which does not extend BaseRepository'),
        notRepositoryMethod: error('the method Report.run'),
        badStrategy: {
          name: 'InvalidArgumentError',
          code: 'E_INVALID_ARGUMENT',
          message: "@EagerLoad options.strategy must be one of 'select-in', 'joined' or undefined, but got: \"lazy\".",
        },
      });
    });
  });
});
