// Parents with a composite primary key, on a schema of their own (in Chinook only the pivot has one):
// every loader answers them by value (`[rack, position]`) or by entity, as MikroORM's populate does,
// and a batch of 1200 parents stays one query (an `$or` per key would pass SQLite's expression depth).
import { Collection, PrimaryKeyProp, type Rel } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useSchema } from '../../../test/support/use-schema.js';
import { loaders } from '../src/index.js';

@Entity()
class Tag {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;
}

@Entity()
class Slot {
  [PrimaryKeyProp]?: ['rack', 'position'];

  @PrimaryKey({ type: 'integer' })
  rack!: number;

  @PrimaryKey({ type: 'integer' })
  position!: number;

  @OneToMany(
    () => Item,
    (item) => item.slot,
    { orderBy: { id: 'asc' } },
  )
  items = new Collection<Item>(this);

  @ManyToMany(() => Tag, undefined, { orderBy: { id: 'asc' } })
  tags = new Collection<Tag>(this);
}

@Entity()
class Item {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Slot)
  slot!: Rel<Slot>;
}

const RACKS = 40;
const POSITIONS = 30; // 1200 slots

describeEachDriver('loaders() on parents with a composite primary key', (ctx) => {
  const db = useSchema(ctx, [Tag, Slot, Item], (em) => {
    const tags = [1, 2, 3].map((id) => em.create(Tag, { id, name: `tag ${id}` }));
    let itemId = 0;
    for (let rack = 1; rack <= RACKS; rack++) {
      for (let position = 1; position <= POSITIONS; position++) {
        const slot = em.create(Slot, { rack, position });
        // (rack + position) % 3 items and tags: some slots have none
        for (let n = 0; n < (rack + position) % 3; n++) {
          em.create(Item, { id: ++itemId, slot });
          slot.tags.add(tags[n] as Tag);
        }
      }
    }
  });

  /** Every slot key, rack by rack, plus one that does not exist. */
  const keys = (): [number, number][] => [
    ...Array.from({ length: RACKS * POSITIONS }, (_, i): [number, number] => [
      Math.floor(i / POSITIONS) + 1,
      (i % POSITIONS) + 1,
    ]),
    [RACKS + 1, 1],
  ];

  /** What MikroORM's populate puts in `relation` of every slot, in `keys()` order, `[]` for the missing one. */
  async function populated(relation: 'items' | 'tags'): Promise<number[][]> {
    const slots = await db.orm.em.fork().find(Slot, {}, { populate: [relation] });
    const byKey = new Map(slots.map((slot) => [`${slot.rack}:${slot.position}`, slot]));
    return keys().map(([rack, position]) => {
      const slot = byKey.get(`${rack}:${position}`);
      return slot ? slot[relation].getItems().map((item) => item.id) : [];
    });
  }

  it('loads entities by [rack, position], null for a missing one, and by the entity itself', async () => {
    const em = db.orm.em.fork();
    const load = loaders(em).entity(Slot);
    const slots = await load.loadMany(keys());
    expect(slots.map((slot) => (slot === null ? null : [(slot as Slot).rack, (slot as Slot).position]))).toEqual([
      ...keys().slice(0, -1),
      null,
    ]);
    const slot = slots[7] as Slot;
    expect(await load.load(slot)).toBe(slot);
  });

  it('loads the 1:M children of 1200 parents in one query, like populate', async () => {
    const em = db.orm.em.fork();
    const queries: string[] = [];
    const previous = em.config.get('onQuery');
    em.config.set('onQuery', (sql: string) => {
      queries.push(sql);
      return sql;
    });
    try {
      const items = await loaders(em).collection(Slot, 'items').loadMany(keys());
      expect(queries).toHaveLength(1);
      expect(items.map((list) => (list as Item[]).map((item) => item.id))).toEqual(await populated('items'));
    } finally {
      em.config.set('onQuery', previous);
    }
  });

  it('loads the M:N targets of 1200 owners, like populate', async () => {
    const tags = await loaders(db.orm.em.fork()).collection(Slot, 'tags').loadMany(keys());
    expect(tags.map((list) => (list as Tag[]).map((tag) => tag.id))).toEqual(await populated('tags'));
  });

  it('counts 1:M and M:N items of 1200 parents', async () => {
    const load = loaders(db.orm.em.fork());
    const [items, tags] = await Promise.all([
      load.count(Slot, 'items').loadMany(keys()),
      load.count(Slot, 'tags').loadMany(keys()),
    ]);
    expect(items).toEqual((await populated('items')).map((ids) => ids.length));
    expect(tags).toEqual((await populated('tags')).map((ids) => ids.length));
  });
});
