import type { AutoPath, Loaded } from '@mikro-orm/core';

/**
 * The entity `T` with the relations of an `@EagerLoad` path list loaded: MikroORM's
 * `Loaded<T, 'album.artist' | 'genre'>` for `typeof paths` = `readonly ['album.artist', 'genre']`.
 * A decorator cannot change a method's type: declare the method's return type with it.
 *
 * @example
 * ```ts
 * const WITH_ARTIST = ['artist'] as const;
 *
 * class AlbumRepository extends BaseRepository<Album> {
 *   @EagerLoad(WITH_ARTIST)
 *   byTitle(title: string): Promise<EagerLoaded<Album, typeof WITH_ARTIST>[]> {
 *     return this.find({ title }) as Promise<EagerLoaded<Album, typeof WITH_ARTIST>[]>;
 *   }
 * }
 * const [album] = await albums.byTitle('Facelift');
 * album?.artist.name; // typed as loaded
 * ```
 */
export type EagerLoaded<T, Paths extends readonly string[]> = Loaded<T, Paths[number]>;

/**
 * The entity of a repository type: `Track` for `TrackRepository extends BaseRepository<Track>` (read
 * from `map()`, which returns exactly the entity: inferring through `BaseRepository<infer T>` fails).
 */
export type RepositoryEntity<R> = R extends { map(result: never, options?: never): infer T } ? T : never;

/** The shapes a read result takes: one entity or none, a list (`findByIds` has nulls), a page or a cursor. */
type EntityResult<E> = E | null | undefined | readonly (E | null)[] | { readonly items: readonly E[] };

/** What a method returns once awaited; an async iterable (a `stream`) counts as the list of what it yields. */
type Settled<R> = R extends AsyncIterable<infer E> ? E[] : Awaited<R>;

/** The paths among `Hint` that are not populate paths of `T`. */
type InvalidPaths<T, Hint extends string> = Hint extends AutoPath<T, Hint> ? never : Hint;

/**
 * Whether a method that returns `R` fits `@EagerLoad` with hints `Hint` on a repository of `T`:
 * every path is a populate path of `T`, and when `R` resolves to entities of `T` (one, a list, a page,
 * a cursor or a stream), they are typed as `Loaded<T, Hint>` (with at least these hints). A result that
 * carries no `T` (a count, names, a DTO) is fine.
 */
export type EagerLoadReturnError<T, Hint extends string, R> = [InvalidPaths<T, Hint>] extends [never]
  ? [Settled<R>] extends [EntityResult<Loaded<T, Hint>>]
    ? never
    : [Settled<R>] extends [EntityResult<T>]
      ? `@EagerLoad: the method returns entities not typed as loaded with '${Hint}': declare its return type with EagerLoaded<Entity, typeof paths>`
      : never
  : `@EagerLoad: not a relation path of the repository's entity: ${InvalidPaths<T, Hint>}`;

/**
 * Makes a decorator argument unassignable (with `Error` as the message) when `Error` is not `never`.
 * `T & { [x]: message }` cannot be satisfied by the real argument, so the compiler reports the message.
 */
export type FailsWith<Error> = [Error] extends [never] ? unknown : { readonly '@EagerLoad type error': Error };
