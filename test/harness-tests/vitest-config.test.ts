// Proves what vitest.config.ts promises: oxc emits legacy decorators WITH design:type metadata (so
// MikroORM's ReflectMetadataProvider infers a @ManyToOne() target from the field type alone), and
// `@stratum/*` imports resolve to the packages' TypeScript sources through the `@stratum/source` condition.
import { Collection } from '@mikro-orm/core';
import {
  Entity,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  ReflectMetadataProvider,
} from '@mikro-orm/decorators/legacy';
import { MikroORM } from '@mikro-orm/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

@Entity()
class Author {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @OneToMany(
    () => Book,
    (book) => book.author,
  )
  books = new Collection<Book>(this);
}

@Entity()
class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  // No entity, no type option: the target comes from `design:type` only.
  @ManyToOne()
  author!: Author;
}

describe('vitest config', () => {
  let orm: MikroORM;

  beforeAll(async () => {
    orm = await MikroORM.init({
      dbName: ':memory:',
      entities: [Author, Book],
      metadataProvider: ReflectMetadataProvider,
    });
    await orm.schema.create();
  });

  afterAll(async () => {
    await orm?.close(true);
  });

  it('emits design:type metadata for decorated properties', () => {
    expect(Reflect.getMetadata('design:type', Book.prototype, 'author')).toBe(Author);
    expect(Reflect.getMetadata('design:type', Book.prototype, 'title')).toBe(String);
  });

  it('lets ReflectMetadataProvider infer a @ManyToOne() target from the field type', async () => {
    const author = orm.getMetadata().get(Book).properties.author;
    expect(author.kind).toBe('m:1');
    expect(author.type).toBe('Author');

    const em = orm.em.fork();
    const writer = em.create(Author, { name: 'Ursula' });
    em.create(Book, { title: 'The Dispossessed', author: writer });
    await em.flush();
    em.clear();

    const book = await em.findOneOrFail(Book, { title: 'The Dispossessed' }, { populate: ['author'] });
    expect(book.author).toBeInstanceOf(Author);
    expect(book.author.name).toBe('Ursula');
  });

  it('resolves @stratum/* to the TypeScript sources (@stratum/source condition)', () => {
    expect(import.meta.resolve('@stratum/core')).toMatch(/\/(packages|@stratum)\/core\/src\/index\.ts$/);
  });
});
