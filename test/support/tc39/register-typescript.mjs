// `node --import <this file>`: compile the *.ts files of the folder named by STRATUM_TC39_FIXTURES with
// TypeScript's own standard (TC39) decorator emit instead of swc (see typescript-hooks.mjs).
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./typescript-hooks.mjs', import.meta.url, {
  data: { fixtures: pathToFileURL(process.env.STRATUM_TC39_FIXTURES ?? '/nonexistent/').href },
});
