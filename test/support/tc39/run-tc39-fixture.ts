import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));

/**
 * The two ways a TC39 (standard) decorator fixture is compiled, as `[label, run]` pairs for
 * `describe.each`: swc with 2022-03 decorators, and TypeScript's own standard emit (what `tsc`
 * without experimentalDecorators produces). Tests are compiled with legacy decorators, so the
 * standard path of a decorator can only be proven in a child process.
 *
 * @example
 * ```ts
 * describe.each(tc39Compilers<Output>(fixtures, 'runner.ts'))('@Cached compiled by %s', (_, run) => {
 *   it('is called the standard way', () => expect(run().decoratorCalls).toHaveLength(2));
 * });
 * ```
 */
export function tc39Compilers<T>(fixtures: string, runner: string): [string, () => T][] {
  const dir = fixtures.endsWith('/') ? fixtures : `${fixtures}/`;
  const run = (extraArgs: string[], env: Record<string, string>): T => {
    const child = spawnSync(
      process.execPath,
      ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register', ...extraArgs, `${dir}${runner}`],
      {
        cwd: root,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: `${dir}tsconfig.json`,
          SWC_NODE_CACHE: '0',
          STRATUM_TC39_FIXTURES: dir,
          ...env,
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    return JSON.parse(child.stdout) as T;
  };
  return [
    // With experimentalDecorators off, @swc-node/register turns decorator parsing off: an swc config
    // file (SWCRC=true) asks swc for 2022-03 (standard) decorators.
    ['swc (decoratorVersion 2022-03)', () => run([], { SWCRC: 'true', SWC_CONFIG_FILE: `${here}swcrc.json` })],
    ['TypeScript (no experimentalDecorators)', () => run(['--import', `${here}register-typescript.mjs`], {})],
  ];
}
