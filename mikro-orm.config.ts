// MikroORM config of the Chinook example, read by `pnpm seed`, the demo and MikroORM's own CLI.
// SQLite on .data/chinook.sqlite by default; PostgreSQL when STRATUM_PG_URL is set.
import 'reflect-metadata';
import { chinookConfig } from './examples/chinook/src/config.js';

export { chinookConfig };

export default chinookConfig();
