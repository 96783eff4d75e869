import { CliUsageError } from '../errors/cli-usage-error.js';

/**
 * The target database of the app's MikroORM config, read the way MikroORM's own CLI reads it
 * (`CLIHelper.getConfiguration` of `@mikro-orm/cli`: the same TypeScript handling, contexts,
 * `MIKRO_ORM_*` environment variables), as a connection URL. Nothing is connected.
 *
 * @throws {CliUsageError} the file cannot be loaded, or its driver is not PostgreSQL.
 * @example
 * ```ts
 * await dbFromConfig('mikro-orm.config.ts'); // 'postgresql://postgres@127.0.0.1:5432/app'
 * ```
 */
export async function dbFromConfig(path: string): Promise<string> {
  let cli: typeof import('@mikro-orm/cli');
  try {
    cli = await import('@mikro-orm/cli');
  } catch (error) {
    throw new CliUsageError(
      '--config needs @mikro-orm/cli installed in the project (MikroORM reads its config with it)',
      {
        cause: error,
      },
    );
  }
  let config: Awaited<ReturnType<typeof cli.CLIHelper.getConfiguration>>;
  try {
    config = await cli.CLIHelper.getConfiguration(undefined, [path]);
  } catch (error) {
    throw new CliUsageError(`--config ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const driver = config.getDriver();
  const platform = driver.getPlatform().constructor.name;
  if (!/PostgreSql/i.test(platform)) {
    throw new CliUsageError(
      `--config ${path}: the indexer reads PostgreSQL only for now, and this config's platform is ${platform}`,
    );
  }
  const options = driver.getConnection().getConnectionOptions();
  const password = typeof options.password === 'function' ? await options.password() : options.password;
  const url = new URL('postgresql://localhost');
  url.hostname = options.host ?? '127.0.0.1';
  if (options.port) url.port = String(options.port);
  if (options.user) url.username = options.user;
  if (password) url.password = password;
  url.pathname = `/${options.database ?? ''}`;
  return url.toString();
}
