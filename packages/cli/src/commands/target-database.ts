import { BasePostgreSqlPlatform } from '@mikro-orm/sql';
import { CliInputError } from '../errors/cli-input-error.js';
import { loadMikroOrmConfig } from '../load-mikro-orm-config.js';

/** Where an index command finds its database: a URL, or the app's MikroORM config. */
export interface TargetDatabaseOptions {
  /** A PostgreSQL connection URL (`--db`). */
  readonly db?: string;
  /** The MikroORM config file (`--config`); default: where MikroORM's CLI looks. */
  readonly config?: string;
}

/**
 * The PostgreSQL URL an index command works against: `--db`, else the app's MikroORM config
 * (`clientUrl`, or `host`/`port`/`user`/`password`/`dbName`). A config that is not PostgreSQL is a
 * {@link CliInputError} (the SQLite advisor is not built yet).
 *
 * @example
 * ```ts
 * await targetDatabaseUrl({ db: 'postgres://app@db:5432/app' }); // 'postgres://app@db:5432/app'
 * await targetDatabaseUrl({ config: 'mikro-orm.config.ts' }); // from the app's config
 * ```
 */
export async function targetDatabaseUrl(options: TargetDatabaseOptions): Promise<string> {
  if (options.db !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.db)) {
      throw new CliInputError(`--db must be a postgres:// URL, got "${options.db}".`);
    }
    return options.db;
  }
  const config = await loadMikroOrmConfig(options.config === undefined ? {} : { config: options.config });
  if (!(config.getPlatform() instanceof BasePostgreSqlPlatform)) {
    throw new CliInputError(
      `The MikroORM config does not use PostgreSQL (its platform is ${config.getPlatform().constructor.name}): ` +
        'index suggestions work on PostgreSQL (SQLite is not built yet); pass --db with a PostgreSQL URL.',
    );
  }
  const clientUrl = config.get('clientUrl');
  if (typeof clientUrl === 'string' && clientUrl !== '') return clientUrl;
  const url = new URL('postgres://localhost');
  url.hostname = String(config.get('host') ?? '127.0.0.1');
  url.port = String(config.get('port') ?? 5432);
  url.username = encodeURIComponent(String(config.get('user') ?? 'postgres'));
  const password = config.get('password');
  if (typeof password === 'string' && password !== '') url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(String(config.get('dbName') ?? ''))}`;
  return url.toString();
}
