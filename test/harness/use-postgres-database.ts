import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { getService } from './get-service.js';
import { ServiceUnavailableError } from './service-mode.js';

/** A throw-away PostgreSQL database and how to reach it. */
export interface PostgresDatabase {
  /** Connection URL of this database (same server/credentials as the admin URL). */
  readonly url: string;
  /** `stratum_t_<random>`. */
  readonly dbName: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  /** The URL it was created from, used again to drop it. */
  readonly adminUrl: string;
}

/** Prefix of every database the harness creates. */
export const TEST_DATABASE_PREFIX = 'stratum_t_';

/**
 * Creates an empty database `stratum_t_<random>` on the PostgreSQL at `adminUrl` (default: the
 * harness's PostgreSQL, see `getService`). Drop it with {@link dropPostgresDatabase}; inside a
 * suite prefer {@link usePostgresDatabase}, which does both.
 *
 * @example
 * const db = await createPostgresDatabase();
 * try { await useIt(db.url); } finally { await dropPostgresDatabase(db); }
 */
export async function createPostgresDatabase(adminUrl?: string): Promise<PostgresDatabase> {
  const admin = adminUrl ?? (await requirePostgresUrl());
  const dbName = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await withClient(admin, (client) => client.query(`create database ${escapeIdentifier(dbName)}`));
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  return {
    url: url.toString(),
    dbName,
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: url.username ? decodeURIComponent(url.username) : 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    adminUrl: admin,
  };
}

/**
 * Drops a database made by {@link createPostgresDatabase}, closing its open connections
 * (`DROP DATABASE ... WITH (FORCE)`). Idempotent (`IF EXISTS`). Refuses names without the
 * `stratum_t_` prefix, so it cannot drop a real database by mistake.
 *
 * @example
 * await dropPostgresDatabase(db);
 */
export async function dropPostgresDatabase(db: Pick<PostgresDatabase, 'dbName' | 'adminUrl'>): Promise<void> {
  if (!db.dbName.startsWith(TEST_DATABASE_PREFIX)) {
    throw new Error(`refusing to drop ${db.dbName}: not a harness database (${TEST_DATABASE_PREFIX}*)`);
  }
  await withClient(db.adminUrl, (client) =>
    client.query(`drop database if exists ${escapeIdentifier(db.dbName)} with (force)`),
  );
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite: a fresh database is created before the suite
 * and dropped after it, so test files running in parallel never share one. Call it while collecting
 * (inside `describeWithPostgres`, which applies the skip/CI-fail rule); the returned handle's fields
 * are readable from hooks and tests registered after it. Call it once at a file's top level (inside
 * that `describeWithPostgres`) to share one database in the file.
 *
 * @example
 * describeWithPostgres('repository', () => {
 *   const db = usePostgresDatabase();
 *   let orm: MikroORM;
 *   beforeAll(async () => { orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl: db.url, entities }); });
 *   afterAll(() => orm.close());
 * });
 */
export function usePostgresDatabase(): PostgresDatabase {
  let current: PostgresDatabase | undefined;
  beforeAll(async () => {
    current = await createPostgresDatabase();
  });
  afterAll(async () => {
    const db = current;
    current = undefined;
    if (db) await dropPostgresDatabase(db);
  });
  const get = (): PostgresDatabase => {
    if (!current) throw new Error('usePostgresDatabase(): the database exists only inside hooks and tests');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get dbName() {
      return get().dbName;
    },
    get host() {
      return get().host;
    },
    get port() {
      return get().port;
    },
    get user() {
      return get().user;
    },
    get password() {
      return get().password;
    },
    get adminUrl() {
      return get().adminUrl;
    },
  };
}

async function requirePostgresUrl(): Promise<string> {
  const status = await getService('postgresql');
  if (!status.available) throw new ServiceUnavailableError('postgresql', status.reason);
  return status.url;
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}
