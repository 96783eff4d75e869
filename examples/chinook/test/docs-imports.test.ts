// Every `import … from '@stratum/…'` shown in the docs (docs/, README.md, each package's README)
// names an entry point that exists and names that the entry point exports: a user who copies an
// import from the docs never gets "does not provide an export named …".
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docPages } from '../../../test/support/doc-pages.js';

const ROOT = new URL('../../../', import.meta.url);

const pages = docPages();

interface ShownImport {
  page: string;
  specifier: string;
  names: { name: string; typeOnly: boolean }[];
}

/** The `import { … } from '@stratum/…'` statements of the code blocks of `page`. */
function shownImports(page: string): ShownImport[] {
  const text = readFileSync(new URL(page, ROOT), 'utf8');
  const found: ShownImport[] = [];
  for (const match of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(@stratum\/[^']+)'/g)) {
    const allTypes = match[1] !== undefined;
    const names = (match[2] as string)
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const typeOnly = allTypes || part.startsWith('type ');
        const name = part.replace(/^type\s+/, '').split(/\s+as\s+/)[0] as string;
        return { name, typeOnly };
      });
    found.push({ page, specifier: match[3] as string, names });
  }
  return found;
}

/** The source file an entry point resolves to in the workspace (its `@stratum/source` condition). */
function entrySource(specifier: string): string | undefined {
  const [scope, name, ...rest] = specifier.split('/');
  const dir = new URL(`packages/${name}/`, ROOT);
  if (!scope || !existsSync(new URL('package.json', dir))) return undefined;
  const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
    name: string;
    exports: Record<string, Record<string, string>>;
  };
  if (pkg.name !== `${scope}/${name}`) return undefined;
  const target = pkg.exports[rest.length === 0 ? '.' : `./${rest.join('/')}`]?.['@stratum/source'];
  return target === undefined ? undefined : new URL(target, dir).pathname;
}

/** Names (values and types) a barrel file exports, read from its `export` statements. */
function exportedNames(file: string): Set<string> {
  const source = readFileSync(file, 'utf8');
  const names = new Set<string>();
  for (const match of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  for (const match of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function|class|const|let|interface|type|enum)\s+([\w$]+)/g,
  )) {
    names.add(match[1] as string);
  }
  return names;
}

const shown = pages.flatMap(shownImports);

describe('imports shown in the docs', () => {
  it('there are some to check (the README shows one per package)', () => {
    expect(new Set(shown.map((s) => s.specifier)).size).toBeGreaterThanOrEqual(4);
  });

  for (const { page, specifier, names } of shown) {
    it(`${page}: import { ${names.map((n) => n.name).join(', ')} } from '${specifier}' exists`, async () => {
      const file = entrySource(specifier);
      expect(file, `${specifier} is not an entry point of a Stratum package`).toBeDefined();
      const exported = exportedNames(file as string);
      const module = (await import(specifier)) as Record<string, unknown>;
      for (const { name, typeOnly } of names) {
        expect(exported.has(name), `${specifier} does not export ${name}`).toBe(true);
        if (!typeOnly) expect(module[name], `${specifier} has no runtime export ${name}`).toBeDefined();
      }
    });
  }
});
