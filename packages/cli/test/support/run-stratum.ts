import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (the child processes run there, as `pnpm stratum` does). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `node` and its flags that run `stratum` from source, as `pnpm stratum` runs it. */
export const STRATUM_FROM_SOURCE: readonly string[] = [
  process.execPath,
  '--conditions=@stratum/source',
  '--import',
  '@swc-node/register/esm-register',
  join(ROOT, 'packages/cli/src/bin.ts'),
];

/** What a `stratum` child process ended with. */
export interface StratumRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `stratum <args>` as a child process from source and resolves with its exit code and output
 * (never rejects for a non-zero exit: that is what the tests look at).
 *
 * @example
 * ```ts
 * const { code, stdout } = await runStratum(['--version']); // 0, '0.1.0\n'
 * ```
 */
export function runStratum(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<StratumRun> {
  const [node, ...flags] = STRATUM_FROM_SOURCE as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(
      node,
      [...flags, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
