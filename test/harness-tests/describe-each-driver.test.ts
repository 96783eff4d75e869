// describeEachDriver runs one suite on SQLite (temp file) and PostgreSQL (temp database), each fresh,
// and removes both afterwards. Checked with a real MikroORM round trip on each driver.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { sqliteTuningReport, TunedSqliteDriver } from '@stratum/sqlite';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriverName, type DriverOptions, describeEachDriver, getService } from '../harness/index.js';

@Entity()
class Note {
  @PrimaryKey()
  id!: number;

  @Property()
  text!: string;
}

describe('describeEachDriver', () => {
  const seen: { driver: DriverName; options: DriverOptions }[] = [];

  // Outer afterAll: runs after both driver suites cleaned up after themselves.
  afterAll(async () => {
    for (const { options } of seen) {
      if (options.dbName) {
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          expect(existsSync(`${options.dbName}${suffix}`)).toBe(false);
      } else {
        const pg = await getService('postgresql');
        if (!pg.available) throw new Error('unreachable');
        const admin = new Client({ connectionString: pg.url });
        await admin.connect();
        const name = new URL(options.clientUrl ?? '').pathname.slice(1);
        const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
        await admin.end();
        expect(rowCount).toBe(0);
      }
    }
  });

  describeEachDriver('a MikroORM round trip', (ctx) => {
    let early = 'no error';
    try {
      void ctx.options;
    } catch (error) {
      early = (error as Error).message;
    }
    let orm: MikroORM<AbstractSqlDriver>;

    beforeAll(async () => {
      seen.push({ driver: ctx.driver, options: ctx.options });
      orm = await MikroORM.init({ ...ctx.options, entities: [Note], metadataProvider: ReflectMetadataProvider });
      await orm.schema.create();
    });

    // biome-ignore lint/suspicious/noDuplicateTestHooks: describeEachDriver's callback runs inside its own suites
    afterAll(async () => {
      await orm?.close(true);
    });

    it('offers the connection options only once the database exists', () => {
      expect(early).toMatch(/only inside hooks and tests/);
    });

    it('connects MikroORM to a fresh database of the right kind', async ({ task }) => {
      expect(task.suite?.suite?.name).toBe('a MikroORM round trip');
      expect(task.suite?.name).toBe(ctx.driver);
      const options = ctx.options;
      if (ctx.driver === 'sqlite') {
        expect(options).toEqual({
          driver: expect.any(Function),
          dbName: expect.stringMatching(/stratum-t-[0-9a-f]{12}\.sqlite$/),
        });
        // @stratum/sqlite's default preset, applied and read back on the suite's connection.
        expect(options.driver.prototype).toBeInstanceOf(TunedSqliteDriver);
        expect(sqliteTuningReport(orm)).toMatchObject({
          mismatches: [],
          actual: { journal_mode: 'wal', synchronous: 'normal' },
        });
        if (!options.dbName) throw new Error('unreachable');
        expect(dirname(options.dbName)).toBe(tmpdir());
        expect(existsSync(options.dbName)).toBe(true);
        expect(existsSync(`${options.dbName}-wal`)).toBe(true);
      } else {
        expect(options).toEqual({
          driver: PostgreSqlDriver,
          clientUrl: expect.stringMatching(/\/stratum_t_[0-9a-f]{12}$/),
        });
        if (!options.clientUrl) throw new Error('unreachable');
        const rows = await orm.em.getConnection().execute<{ db: string }[]>('select current_database() as db');
        expect(rows[0]?.db).toBe(new URL(options.clientUrl).pathname.slice(1));
      }

      const em: SqlEntityManager = orm.em.fork();
      em.create(Note, { text: `hello ${ctx.driver}` });
      await em.flush();
      expect(await orm.em.fork().count(Note)).toBe(1);
    });
  });

  describeEachDriver(
    'restricted to sqlite',
    (ctx) => {
      it('runs only the listed drivers', () => {
        expect(ctx.driver).toBe('sqlite');
      });
    },
    { drivers: ['sqlite'] },
  );
});
