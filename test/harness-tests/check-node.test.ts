import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../support/check-node.mjs';

const SCRIPT = new URL('../support/check-node.mjs', import.meta.url).pathname;

describe('the Node version check every pnpm script runs first', () => {
  it('accepts Node 22.17 and newer', () => {
    for (const version of ['22.17.0', '22.20.1', '24.21.0', '26.0.0']) {
      expect(nodeVersionProblem(version, 'linux', 'x64')).toBeNull();
    }
  });

  it('explains, on linux-x64, that pnpm install brings Node 24', () => {
    const message = nodeVersionProblem('20.20.2', 'linux', 'x64', '/usr/bin/node');
    expect(message).toContain('Stratum needs Node.js >= 22.17, but this is Node.js 20.20.2 (/usr/bin/node).');
    expect(message).toContain('`pnpm install` provides Node 24.21.0');
    expect(nodeVersionProblem('22.16.0', 'linux', 'x64')).not.toBeNull();
  });

  it('tells other platforms to bring their own Node', () => {
    expect(nodeVersionProblem('18.19.0', 'darwin', 'arm64')).toContain(
      'No Node is provided for darwin-arm64: install Node.js 22.17 or newer',
    );
  });

  it('lets the script pass silently on this Node', () => {
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, '', '']);
  });

  // The machines we build on ship Node 20 as /usr/bin/node: run the real thing there.
  it.runIf(
    existsSync('/usr/bin/node') &&
      spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.startsWith('20.'),
  )('stops an old Node with the message and exit code 1, not a crash', () => {
    const run = spawnSync('/usr/bin/node', [SCRIPT], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Stratum needs Node.js >= 22.17, but this is Node.js 20\./);
  });
});
