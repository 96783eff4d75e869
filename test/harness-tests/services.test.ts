// The harness against the REAL services (no mocks): service resolution, the CI skip/fail rule,
// per-file PostgreSQL databases and per-file Redis key prefixes.
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  createRedisPrefix,
  deleteRedisKeys,
  describeWithPostgres,
  describeWithRedis,
  dropPostgresDatabase,
  getService,
  isCi,
  type PostgresDatabase,
  resolveService,
  type ServiceStatus,
  serviceMode,
  startRedisServer,
  stopServiceContainers,
  usePostgresDatabase,
  useRedisPrefix,
} from '../harness/index.js';

const up: ServiceStatus = { available: true, url: 'redis://127.0.0.1:6379', source: 'local' };
const down: ServiceStatus = { available: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' };

describe('CI rule', () => {
  it('recognises CI from a truthy CI variable', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'github-actions']) expect(isCi({ CI: value })).toBe(true);
    for (const value of [undefined, '', 'false', 'False', '0', 'no', 'off']) expect(isCi({ CI: value })).toBe(false);
  });

  it('runs an available service, in CI or not', () => {
    expect(serviceMode(up, {})).toBe('run');
    expect(serviceMode(up, { CI: 'true' })).toBe('run');
  });

  it('skips an unavailable service outside CI and fails it in CI', () => {
    expect(serviceMode(down, {})).toBe('skip');
    expect(serviceMode(down, { CI: 'false' })).toBe('skip');
    expect(serviceMode(down, { CI: 'true' })).toBe('fail');
    expect(serviceMode(down, { CI: '1' })).toBe('fail');
  });
});

describe('resolveService', () => {
  afterAll(() => stopServiceContainers());

  it('uses the URL from STRATUM_REDIS_URL when it answers', async () => {
    const server = await startRedisServer();
    try {
      const status = await resolveService('redis', { env: { STRATUM_REDIS_URL: server.url } });
      expect(status).toEqual({ available: true, url: server.url, source: 'env' });
    } finally {
      await server.stop();
    }
  });

  it('never falls back when the configured URL does not answer, and says why', async () => {
    const status = await resolveService('postgresql', {
      env: { STRATUM_PG_URL: 'postgres://postgres@127.0.0.1:1/test' },
    });
    expect(status.available).toBe(false);
    if (!status.available) expect(status.reason).toMatch(/^STRATUM_PG_URL=postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
  });

  it('tries the local default, then testcontainers, and reports every failure', async () => {
    const status = await resolveService('redis', {
      env: {},
      localUrls: { redis: 'redis://127.0.0.1:1' },
      probeTimeoutMs: 1000,
    });
    if (status.available) {
      // A container runtime exists here: the fallback worked.
      expect(status.source).toBe('testcontainers');
    } else {
      expect(status.reason).toContain('STRATUM_REDIS_URL is not set');
      expect(status.reason).toContain('redis://127.0.0.1:1 did not answer');
      expect(status.reason).toMatch(/testcontainers/);
    }
  });

  it('can be told not to try testcontainers', async () => {
    const status = await resolveService('postgresql', {
      env: { STRATUM_TESTCONTAINERS: '0' },
      localUrls: { postgresql: 'postgres://postgres@127.0.0.1:1/test' },
      probeTimeoutMs: 1000,
    });
    expect(status).toMatchObject({ available: false, reason: expect.stringContaining('testcontainers disabled') });
  });
});

describeWithPostgres('PostgreSQL isolation', () => {
  let admin: string;
  let seen: PostgresDatabase | undefined;

  // Registered BEFORE usePostgresDatabase(), so (afterAll hooks run in reverse) it runs after the drop.
  afterAll(async () => {
    if (!seen) return;
    expect(await databaseExists(seen.adminUrl, seen.dbName)).toBe(false);
  });

  const db = usePostgresDatabase();

  it('gives the file a fresh database that exists and is empty', async () => {
    const status = await getService('postgresql');
    if (!status.available) throw new Error('unreachable');
    admin = status.url;
    seen = { ...db }; // copies the getters' values

    expect(db.dbName).toMatch(/^stratum_t_[0-9a-f]{12}$/);
    expect(db.adminUrl).toBe(admin);
    expect(new URL(db.url).pathname).toBe(`/${db.dbName}`);
    expect(db.host).toBe(new URL(admin).hostname);
    expect(db.port).toBe(Number(new URL(admin).port || 5432));
    expect(await databaseExists(admin, db.dbName)).toBe(true);

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; tables: string }>(
        `select current_database() as db, (select count(*) from pg_tables where schemaname = 'public') as tables`,
      );
      expect(rows[0]).toEqual({ db: db.dbName, tables: '0' });
    } finally {
      await client.end();
    }
  });

  it('createPostgresDatabase/dropPostgresDatabase create and drop, even with open connections', async () => {
    const other = await createPostgresDatabase();
    expect(other.dbName).not.toBe(db.dbName);
    expect(await databaseExists(admin, other.dbName)).toBe(true);

    const open = new Client({ connectionString: other.url });
    open.on('error', () => {});
    await open.connect();
    await dropPostgresDatabase(other); // WITH (FORCE) terminates `open`
    await open.end().catch(() => {});

    expect(await databaseExists(admin, other.dbName)).toBe(false);
    await expect(dropPostgresDatabase(other)).resolves.toBeUndefined(); // idempotent
  });

  it('refuses to drop a database that is not a harness database', async () => {
    await expect(dropPostgresDatabase({ dbName: 'test', adminUrl: admin })).rejects.toThrow(/refusing to drop test/);
  });
});

describeWithRedis('Redis prefix isolation', () => {
  let url: string | undefined;
  let prefix: string | undefined;
  const neighbours: string[] = [];

  // Runs after useRedisPrefix()'s cleanup (afterAll hooks run in reverse order).
  afterAll(async () => {
    if (!url || !prefix) return;
    const client = new Redis(url);
    try {
      expect(await client.keys(`${prefix}*`)).toEqual([]);
      expect(await client.exists(...neighbours)).toBe(neighbours.length);
    } finally {
      await client.del(...neighbours);
      client.disconnect();
    }
  });

  const redis = useRedisPrefix();

  it('hands out a fresh stratum:t:<random>: prefix', () => {
    expect(redis.prefix).toMatch(/^stratum:t:[0-9a-f]{12}:$/);
    url = redis.url;
    prefix = redis.prefix;
  });

  it('deletes exactly the prefix keys, through several SCAN pages', async () => {
    const client = new Redis(redis.url);
    try {
      const pipeline = client.pipeline();
      for (let i = 0; i < 2500; i++) pipeline.set(`${redis.prefix}k${i}`, String(i));
      pipeline.hset(`${redis.prefix}hash`, 'field', 'value');
      // Neighbours that share the text but not the prefix: must survive.
      const base = redis.prefix.slice(0, -1);
      neighbours.push(base, `${base}x:k`, `${base.slice(0, -1)}:k`);
      for (const key of neighbours) pipeline.set(key, 'keep');
      await pipeline.exec();
    } finally {
      client.disconnect();
    }
    // The file's own prefix is cleaned by useRedisPrefix after the file; here a second one, directly.
    const other = await createRedisPrefix(redis.url);
    const writer = new Redis(redis.url);
    try {
      await writer.set(`${other.prefix}a`, '1');
      await writer.set(`${other.prefix}b`, '2');
      expect(await deleteRedisKeys(other.url, other.prefix)).toBe(2);
      expect(await writer.exists(`${other.prefix}a`, `${other.prefix}b`)).toBe(0);
      expect(await writer.exists(`${redis.prefix}k0`, `${redis.prefix}k2499`)).toBe(2);
    } finally {
      writer.disconnect();
    }
  });

  it('refuses to delete keys outside the harness prefixes', async () => {
    await expect(deleteRedisKeys(redis.url, '')).rejects.toThrow(/refusing/);
    await expect(deleteRedisKeys(redis.url, 'stratum:t:')).rejects.toThrow(/refusing/);
    await expect(deleteRedisKeys(redis.url, 'app:')).rejects.toThrow(/refusing/);
  });
});

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}
