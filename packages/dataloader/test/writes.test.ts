// Loaders never answer with what the database no longer holds, on a schema of its own: single-table
// inheritance, foreign keys the database cascades, transactions that roll back or commit while another
// request reads, and em.clear().
import { Collection, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useSchema } from '../../../test/support/use-schema.js';
import { loaders } from '../src/index.js';

@Entity({ discriminatorColumn: 'kind', abstract: true })
class Animal {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  kind!: string;

  @Property({ type: 'string' })
  name!: string;

  @ManyToOne(() => Owner)
  owner!: Rel<Owner>;
}

@Entity({ discriminatorValue: 'dog' })
class Dog extends Animal {}

@Entity({ discriminatorValue: 'cat' })
class Cat extends Animal {}

@Entity()
class Owner {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;

  @OneToMany(
    () => Dog,
    (dog) => dog.owner,
  )
  dogs = new Collection<Dog>(this);
}

@Entity()
class Mom {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @OneToMany(
    () => Kid,
    (kid) => kid.mom,
  )
  kids = new Collection<Kid>(this);
}

@Entity()
class Kid {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** The database deletes a mom's kids with her. */
  @ManyToOne(() => Mom, { deleteRule: 'cascade' })
  mom!: Rel<Mom>;
}

describeEachDriver('loaders() after writes', (ctx) => {
  const db = useSchema(ctx, [Animal, Dog, Cat, Owner, Mom, Kid], (em) => {
    for (const id of [1, 2, 3, 4, 5]) {
      const owner = em.create(Owner, { id, name: `owner ${id}` });
      em.create(Dog, { id: id * 10 + 1, kind: 'dog', name: 'rex', owner });
      em.create(Cat, { id: id * 10 + 2, kind: 'cat', name: 'tom', owner });
      const mom = em.create(Mom, { id });
      for (const n of [1, 2]) em.create(Kid, { id: id * 10 + n, mom });
    }
  });

  const dogIds = (dogs: unknown) => (dogs as Dog[]).map((dog) => dog.id);

  it('sees flushes, native writes and inserts of a subclass (single-table inheritance)', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em);
    expect(dogIds(await load.collection(Owner, 'dogs').load(1))).toEqual([11]);
    em.create(Dog, { id: 13, kind: 'dog', name: 'fido', owner: em.getReference(Owner, 1) });
    await em.flush();
    expect(dogIds(await load.collection(Owner, 'dogs').load(1))).toEqual([11, 13]);
    expect(await load.count(Owner, 'dogs').load(1)).toBe(2);
    await em.nativeDelete(Dog, { id: 13 });
    expect(await load.count(Owner, 'dogs').load(1)).toBe(1);
    expect(await load.entity(Dog).load(99)).toBeNull();
    await em.insert(Dog, { id: 99, kind: 'dog', name: 'late', owner: 1 });
    expect((await load.entity(Dog).load(99))?.name).toBe('late');
  });

  it('forgets the children the database deleted with their parent (on delete cascade)', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em);
    expect(await load.count(Mom, 'kids').load(2)).toBe(2);
    expect(await load.entity(Kid).load(21)).not.toBeNull();
    await em.nativeDelete(Mom, { id: 2 });
    expect(await load.count(Mom, 'kids').load(2)).toBe(await em.count(Kid, { mom: 2 }));
    expect(await load.count(Mom, 'kids').load(2)).toBe(0);
    expect(await load.entity(Kid).load(21)).toBeNull();
  });

  it('after a rollback, answers what the database holds again', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em);
    await em.begin();
    em.create(Dog, { id: 33, kind: 'dog', name: 'ghost', owner: em.getReference(Owner, 3) });
    await em.flush();
    expect(dogIds(await load.collection(Owner, 'dogs').load(3))).toEqual([31, 33]);
    await em.rollback();
    expect(dogIds(await load.collection(Owner, 'dogs').load(3))).toEqual([31]);
    expect(await load.entity(Dog).load(33)).toBeNull();
  });

  // PostgreSQL only: MikroORM's SQLite driver has one connection, so another request cannot read while a
  // transaction holds it (the read waits for the transaction, which waits for the read).
  if (ctx.driver === 'postgresql') {
    it('does not keep what it read while another request’s transaction was open, once it commits', async () => {
      const reader = loaders(db.orm.em.fork());
      expect(await reader.count(Mom, 'kids').load(4)).toBe(2);
      await db.orm.em.fork().transactional(async (tx) => {
        tx.create(Kid, { id: 43, mom: tx.getReference(Mom, 4) });
        await tx.flush();
        expect(await reader.count(Mom, 'kids').load(4)).toBe(2); // the committed state, meanwhile
      });
      expect(await reader.count(Mom, 'kids').load(4)).toBe(3);
    });
  }

  it('after the outer transaction rolls back, forgets what a nested one had committed', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em);
    await em.begin();
    await em.transactional(async (inner) => {
      inner.create(Dog, { id: 34, kind: 'dog', name: 'nested', owner: inner.getReference(Owner, 3) });
    }); // a savepoint, released
    expect(dogIds(await load.collection(Owner, 'dogs').load(3))).toEqual([31, 34]);
    await em.rollback();
    expect(dogIds(await load.collection(Owner, 'dogs').load(3))).toEqual([31]);
  });

  it('after em.clear(), loads again and hands out entities the EntityManager manages', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em);
    const before = await load.entity(Owner).load(5);
    const dogsBefore = (await load.collection(Owner, 'dogs').load(5)) as Dog[];
    em.clear();
    const owner = (await load.entity(Owner).load(5)) as Owner;
    // (compared as booleans: a failing toBe would print the entities, whose collections are not loaded)
    expect(owner === before).toBe(false);
    expect(owner === (await em.findOne(Owner, 5))).toBe(true);
    expect((await load.collection(Owner, 'dogs').load(5))[0] === dogsBefore[0]).toBe(false);
    owner.name = 'renamed';
    await em.flush();
    expect((await db.orm.em.fork().findOneOrFail(Owner, 5)).name).toBe('renamed');
  });
});
