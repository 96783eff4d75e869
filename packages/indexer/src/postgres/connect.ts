import { Client } from 'pg';
import { DatabaseUnreachableError } from '../errors/database-unreachable-error.js';

/** A connected `pg` client (one session: HypoPG's hypothetical indexes live in it). */
export type PgClient = Client;

/**
 * Opens one session to the target database. Fails fast (10 s connect timeout) with a typed error.
 *
 * @throws {DatabaseUnreachableError} refused, unknown host or database, bad credentials.
 * @example
 * ```ts
 * const client = await connectPostgres('postgresql://postgres@127.0.0.1:5432/app');
 * try { ... } finally { await client.end(); }
 * ```
 */
export async function connectPostgres(url: string): Promise<PgClient> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new DatabaseUnreachableError(url, error);
  }
  return client;
}
