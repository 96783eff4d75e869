#!/usr/bin/env node
// The consumer check: Stratum as a new user gets it from npm. After `pnpm build`, it packs every
// packages/* package, checks each tarball (what `exports`, `main`, `types` and the source maps name
// is in it; no workspace-only export condition; every bare import of its JavaScript and of its
// .d.ts is a declared dependency or peer), then creates fresh projects OUTSIDE the workspace from
// .ci/consumer/app, installs the tarballs there, once with pnpm in its strictest layout (isolated,
// nothing hoisted: only declared dependencies resolve) and once with npm, and in each:
//   - type-checks the app with `skipLibCheck: false`, with legacy and with standard decorators;
//   - runs the app built in each mode (it touches every package: see app/src/app.ts);
//   - runs its vitest file, which uses the matchers of @stratum/profiler/vitest.
// Any missing dependency, unresolved type or missing file fails it (exit 1).
//
//   node .ci/consumer/check.mjs [--keep]      (run on Node >= 22.17; `.ci/run` runs it on Node 24)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = join(REPO, '.ci/consumer/app');
const keep = process.argv.includes('--keep');
const node = process.execPath;

/** Versions the consumer pins: the same MikroORM, ioredis, vitest and TypeScript as the workspace. */
const rootPackage = readJson(join(REPO, 'package.json'));
const pinned = (name) => {
  const version = rootPackage.devDependencies?.[name];
  if (!version) throw new Error(`the root package.json has no devDependency ${name} to pin the consumer to`);
  return version;
};

const work = mkdtempSync(join(tmpdir(), 'stratum-consumer-'));
if (work.startsWith(`${REPO}/`)) throw new Error(`${work} is inside the workspace`);
let failed = false;
try {
  const tarballs = packAll(join(work, 'tarballs'));
  for (const tarball of tarballs) checkTarball(tarball, join(work, 'unpacked'));
  for (const manager of ['pnpm', 'npm']) consumer(manager, tarballs, join(work, `app-${manager}`));
  console.log(`consumer check: OK (${tarballs.length} packages, pnpm isolated without hoisting and npm)`);
} catch (error) {
  failed = true;
  console.error(`consumer check: FAILED: ${error.message}`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/** `pnpm pack` of every package under packages/: `{ name, version, file, pkg }` per tarball. */
function packAll(destination) {
  mkdirSync(destination, { recursive: true });
  const tarballs = [];
  for (const dir of readdirSync(join(REPO, 'packages'), { withFileTypes: true })) {
    const root = join(REPO, 'packages', dir.name);
    if (!dir.isDirectory() || !existsSync(join(root, 'package.json'))) continue;
    const pkg = readJson(join(root, 'package.json'));
    if (pkg.private) continue;
    const before = new Set(readdirSync(destination));
    run('pnpm', ['pack', '--pack-destination', destination], { cwd: root, quiet: true });
    const made = readdirSync(destination).filter((file) => !before.has(file));
    if (made.length !== 1) throw new Error(`pnpm pack of ${pkg.name} made ${made.length} files`);
    tarballs.push({ name: pkg.name, version: pkg.version, file: join(destination, made[0]) });
  }
  if (tarballs.length === 0) throw new Error('no package to pack under packages/');
  return tarballs;
}

/** What a user's install of `tarball` gets must be complete and declare what it imports. */
function checkTarball(tarball, unpackRoot) {
  const into = join(unpackRoot, tarball.name.replace('/', '+'));
  mkdirSync(into, { recursive: true });
  run('tar', ['-xzf', tarball.file, '-C', into], { quiet: true });
  const root = join(into, 'package');
  const pkg = readJson(join(root, 'package.json'));
  tarball.pkg = pkg;
  const problems = [];
  const text = JSON.stringify(pkg);
  if (text.includes('workspace:')) problems.push('package.json still has a workspace: version');
  if (text.includes('@stratum/source'))
    problems.push('package.json still has the workspace-only @stratum/source condition');
  const named = new Set([pkg.main, pkg.types]);
  for (const entry of Object.values(pkg.exports ?? {})) {
    for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) named.add(target);
  }
  for (const file of named) {
    if (file !== undefined && !existsSync(join(root, file)))
      problems.push(`names ${file}, which is not in the tarball`);
  }
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    pkg.name,
  ]);
  for (const file of walk(root)) {
    if (file.endsWith('.map')) {
      const map = readJson(file);
      for (const source of map.sources ?? []) {
        const path = resolve(dirname(file), map.sourceRoot ?? '', source);
        if (!existsSync(path)) problems.push(`${relative(root, file)} points at ${relative(root, path)}, not shipped`);
      }
    }
    if (file.endsWith('.js') || file.endsWith('.d.ts')) {
      for (const specifier of bareImports(readFileSync(file, 'utf8'))) {
        const name = packageName(specifier);
        if (!declared.has(name))
          problems.push(`${relative(root, file)} imports ${specifier}, which package.json does not declare`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`${tarball.name}:\n  ${[...new Set(problems)].slice(0, 40).join('\n  ')}`);
  }
  console.log(`${tarball.name}: tarball complete, every import declared`);
}

/** A fresh project with `manager`, the tarballs and the app: type-check, run, test. */
function consumer(manager, tarballs, dir) {
  cpSync(APP, dir, { recursive: true });
  const stratum = Object.fromEntries(tarballs.map((t) => [t.name, `file:${t.file}`]));
  const pkg = {
    name: `stratum-consumer-${manager}`,
    private: true,
    type: 'module',
    dependencies: {
      ...stratum,
      '@mikro-orm/core': pinned('@mikro-orm/core'),
      '@mikro-orm/sql': pinned('@mikro-orm/sql'),
      '@mikro-orm/sqlite': pinned('@mikro-orm/sqlite'),
      ioredis: pinned('ioredis'),
      '@mikro-orm/cli': pinned('@mikro-orm/cli'),
      'reflect-metadata': pinned('reflect-metadata'),
    },
    devDependencies: {
      // @mikro-orm/sqlite's .d.ts import better-sqlite3's types: an app type-checked with
      // skipLibCheck off needs them (README "Use it in your app").
      '@types/better-sqlite3': pinned('@types/better-sqlite3'),
      '@types/node': pinned('@types/node'),
      typescript: pinned('typescript'),
      vitest: pinned('vitest'),
    },
  };
  if (manager === 'npm') {
    // Stratum's packages depend on each other by version (0.1.0, not on this registry): point
    // every such dependency at its tarball.
    pkg.overrides = Object.fromEntries(tarballs.map((t) => [t.name, `$${t.name}`]));
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  if (manager === 'pnpm') {
    writeFileSync(
      join(dir, 'pnpm-workspace.yaml'),
      [
        '# The strictest layout: every package sees only what it declares.',
        'nodeLinker: isolated',
        'hoist: false',
        'publicHoistPattern: []',
        'overrides:',
        ...tarballs.map((t) => `  '${t.name}': '${stratum[t.name]}'`),
        '# What docs/install says to decide (README "Use it in your app").',
        'allowBuilds:',
        '  better-sqlite3: false',
        '  msgpackr-extract: false',
        '',
      ].join('\n'),
    );
    run('pnpm', ['install', '--no-frozen-lockfile'], { cwd: dir });
  } else {
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  }
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');
  for (const mode of ['legacy', 'standard']) {
    run(node, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: dir });
    run(node, [`dist-${mode}/src/app.js`], { cwd: dir });
    console.log(`${manager}: the app type-checks and runs with ${mode} decorators`);
  }
  if (tarballs.some((t) => t.name === '@stratum/cli')) {
    // The installed `stratum` bin (its shebang, its dependencies) prints its version and checks a file.
    const version = run(join(dir, 'node_modules/.bin/stratum'), ['--version'], { cwd: dir, quiet: true }).trim();
    if (version !== tarballs.find((t) => t.name === '@stratum/cli').version)
      throw new Error(`stratum --version printed ${version}`);
    console.log(`${manager}: the stratum command runs (${version})`);
  }
  run(node, [join(dir, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: dir });
  console.log(`${manager}: the app's vitest file passes`);
}

function run(command, args, { cwd, quiet = false }) {
  try {
    const out = execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // The app also caches in Redis when one is there: CI always has one (a missing Redis fails).
      env: {
        ...process.env,
        CI: 'true',
        STRATUM_REDIS_URL: process.env.STRATUM_REDIS_URL || (process.env.CI ? 'redis://127.0.0.1:6379' : ''),
      },
    });
    if (!quiet && out.trim()) console.log(out.trim());
    return out;
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${output}`);
  }
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Bare specifiers of `import`/`export … from`, dynamic `import()` and `import('…')` types. */
function bareImports(source) {
  const found = new Set();
  const patterns = [
    // import … from / export … from, at the start of a line (what tsc emits): only names, braces,
    // commas and `*` between the keyword and `from`, so SQL text in a string never matches.
    /^(?:import|export)\s(?:[\w$*,{}\s])*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^import\s*['"]([^'"]+)['"]/gm, // side-effect import
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…') and import("…").Type
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
      if (builtinModules.includes(specifier.split('/')[0])) continue;
      found.add(specifier);
    }
  }
  return found;
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
