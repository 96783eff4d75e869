import { CLIHelper } from '@mikro-orm/cli';
import type { Configuration } from '@mikro-orm/core';
import { CliInputError } from './errors/cli-input-error.js';

/** Options of {@link loadMikroOrmConfig}. */
export interface LoadMikroOrmConfigOptions {
  /** The config file; default: where MikroORM's own CLI looks (`mikro-orm.config.ts`, `src/…`, package.json `mikro-orm.configPaths`). */
  readonly config?: string;
  /** The `contextName` of a config file that exports several. @default 'default' */
  readonly contextName?: string;
}

/**
 * The app's MikroORM configuration, read the way MikroORM's own CLI reads it: the same search paths
 * and settings (package.json `mikro-orm`, `MIKRO_ORM_CLI_*` variables), the same TypeScript loader
 * (oxc, swc, tsx, jiti, … whichever the app has installed), the same `.env` handling. It is
 * MikroORM's `CLIHelper` (pinned with the rest of MikroORM: see docs/decisions.md). A missing or
 * broken config is a {@link CliInputError}.
 *
 * @example
 * ```ts
 * const config = await loadMikroOrmConfig({ config: './mikro-orm.config.ts' });
 * config.get('dbName'); // '.data/chinook.sqlite'
 * ```
 */
export async function loadMikroOrmConfig(options: LoadMikroOrmConfigOptions = {}): Promise<Configuration> {
  const settings = CLIHelper.getSettings();
  if (settings.preferTs !== false) {
    await CLIHelper.registerTypeScriptSupport(settings.tsConfigPath, settings.tsLoader);
  }
  try {
    const paths = options.config ? [options.config] : undefined;
    return await CLIHelper.getConfiguration(options.contextName, paths);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new CliInputError(`Cannot read the MikroORM config: ${message}`, { cause });
  }
}
