import { existsSync, readdirSync } from 'node:fs';

/** The repository's root, as a URL ending in `/`. */
export const REPO_ROOT = new URL('../../', import.meta.url);

/**
 * Every markdown page a user reads (docs/, the README and each package's README), as paths relative
 * to the repository's root: what the docs checks (snippets shown verbatim, imports that exist) read.
 *
 * @example
 * ```ts
 * docPages(); // ['docs/base-repository.md', …, 'README.md', 'packages/cache/README.md', …]
 * ```
 */
export function docPages(): string[] {
  return [
    ...readdirSync(new URL('docs/', REPO_ROOT)).map((f) => `docs/${f}`),
    'README.md',
    ...readdirSync(new URL('packages/', REPO_ROOT), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `packages/${d.name}/README.md`),
  ].filter((f) => f.endsWith('.md') && existsSync(new URL(f, REPO_ROOT)));
}
