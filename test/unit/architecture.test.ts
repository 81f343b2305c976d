/**
 * The directions between modules that keep the code easy to change, checked on the imports
 * themselves so the tree and this list cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Every relative import of `file`, resolved to a path from the repository root (no extension). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => path.normalize(path.join(path.dirname(file), m[1] ?? '')));
}

const rules: [string, (file: string) => boolean, (target: string) => boolean][] = [
  ['lib/ never imports a door in functions/', (f) => f.startsWith('lib/'), (t) => t.startsWith('functions/')],
  [
    "the Genesys client and the AWS pieces never import the core, a door's rules or the composition",
    (f) => /^lib\/(genesys|aws)\//.test(f),
    (t) => /^lib\/(core|queue|http|rotation)\/|^lib\/(container|flagger)$/.test(t),
  ],
  ['the AWS pieces know nothing of Genesys', (f) => f.startsWith('lib/aws/'), (t) => t.startsWith('lib/genesys/')],
  [
    "the core never imports a door's rules or the composition",
    (f) => f.startsWith('lib/core/'),
    (t) => /^lib\/(queue|http|rotation)\/|^lib\/(container|flagger)$/.test(t),
  ],
  [
    "a door's rules never import another door's",
    (f) => /^lib\/(queue|http|rotation)\//.test(f),
    (t) => /^lib\/(queue|http|rotation)\//.test(t),
  ],
  ['no door imports another door', (f) => f.startsWith('functions/'), (t) => t.startsWith('functions/')],
  [
    'the emulators share no code with what they test',
    (f) => f.startsWith('test/emulators/'),
    (t) => t.startsWith('lib/') || t.startsWith('functions/'),
  ],
];

test.each(rules)('%s', (_rule, applies, forbidden) => {
  const files = [...sources('lib'), ...sources('functions'), ...sources('test/emulators')].filter(applies);
  expect(files.length).toBeGreaterThan(0);
  const broken = files.flatMap((file) =>
    importsOf(file)
      .filter(
        (target) =>
          forbidden(target) && !(path.dirname(target) === path.dirname(file) && !file.startsWith('functions/')),
      )
      .map((target) => `${file} -> ${target}`),
  );
  expect(broken).toEqual([]);
});

test('only lib/config.ts reads the environment: every other module gets its settings from a Config', () => {
  const readers = sources('lib')
    .filter((file) => file !== path.join('lib', 'config.ts'))
    .filter((file) => /process\.env|\benv\.[A-Z_]+|\benv\[/.test(readFileSync(path.join(ROOT, file), 'utf8')));
  expect(readers).toEqual([]);
});

test('every module of lib/ has a unit test named after it, which imports it', () => {
  const missing = sources('lib').filter((file) => {
    const test = path.join('test/unit', `${path.basename(file, '.ts')}.test.ts`);
    try {
      return !importsOf(test).includes(file.replace(/\.ts$/, ''));
    } catch {
      return true;
    }
  });
  expect(missing).toEqual([]);
});

test('no suite replaces a module (jest.mock and its kin): faults come in as injected dependencies', () => {
  const mocking = sources('test').filter((file) =>
    /\bjest\.(mock|doMock|unstable_mockModule|spyOn)\(/.test(readFileSync(path.join(ROOT, file), 'utf8')),
  );
  expect(mocking).toEqual([]);
});

describe('the maps in the documentation match the tree', () => {
  const architecture = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  test('docs/architecture.md names every file of lib/ and functions/, and no file that is gone', () => {
    const files = [...sources('lib'), ...sources('functions')].map((f) => path.basename(f));
    expect(files.filter((name) => !architecture.includes(`  ${name} `))).toEqual([]);
    const named = [...architecture.matchAll(/^ {2,}([a-z-]+\.ts) /gm)].map((m) => m[1]);
    expect(named.filter((name) => !files.includes(name ?? ''))).toEqual([]);
  });

  test("the README's map names every folder and top-level file of lib/, and every kind of test suite", () => {
    const map = readme.slice(readme.indexOf('## Architecture'));
    const lib = readdirSync(path.join(ROOT, 'lib'), { withFileTypes: true });
    const names = lib.map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    expect(names.filter((name) => !map.includes(name))).toEqual([]);
    const suites = readdirSync(path.join(ROOT, 'test'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !['emulators', 'support', 'fixtures'].includes(e.name))
      .map((e) => e.name);
    expect(
      suites.filter(
        (suite) => !new RegExp(`\\b${suite}\\b`).test(map.split('\n').find((l) => l.startsWith('test/')) ?? ''),
      ),
    ).toEqual([]);
  });
});
