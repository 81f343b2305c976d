/**
 * serverless.yml is the stack's map: the functions, the parameters, the conditions and the outputs,
 * and the list of files under infra/aws/ that hold the CloudFormation resources, one concern each
 * (osls merges `resources` given as a list, in order). These checks keep it a map: short enough to
 * read whole, every file of infra/aws/ in its list, and no resource written into it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
type Section = Record<string, unknown>;

const MAP = read('serverless.yml');
const { resources } = parse(MAP) as { resources: unknown };
const items: unknown[] = Array.isArray(resources) ? resources : [resources];
const INCLUDE = /^\$\{file\(\.\/(infra\/aws\/[a-z0-9-]+\.yml)\)\}$/;
const includes = items.filter((item): item is string => typeof item === 'string');
const inline = items.filter((item): item is Section => typeof item !== 'string');
const files = readdirSync(path.join(ROOT, 'infra/aws'))
  .filter((name) => name.endsWith('.yml'))
  .map((name) => `infra/aws/${name}`);

test('serverless.yml has at most 300 lines', () => {
  expect(MAP.trimEnd().split('\n').length).toBeLessThanOrEqual(300);
});

test('its resources list every infra/aws/*.yml, once each, and name no other file', () => {
  expect(Array.isArray(resources)).toBe(true);
  expect(includes.filter((item) => !INCLUDE.test(item))).toEqual([]);
  const included = includes.map((item) => INCLUDE.exec(item)?.[1]);
  expect([...included].sort()).toEqual([...files].sort());
});

test('no CloudFormation resource is written into serverless.yml: inline only parameters, conditions, outputs', () => {
  expect(
    inline.flatMap((item) => Object.keys(item)).filter((key) => !['Parameters', 'Conditions', 'Outputs'].includes(key)),
  ).toEqual([]);
  // Nor anywhere else in the file, under custom or provider: a resource's Type line would show.
  expect(MAP.match(/^\s*Type:\s*['"]?AWS::.*$/gm) ?? []).toEqual([]);
});

test('each infra/aws file holds only sections osls merges, and no logical id is defined twice', () => {
  const sections = ['Parameters', 'Conditions', 'Resources', 'Outputs', 'extensions'];
  const fragments: [string, Section][] = [
    ...files.map((file): [string, Section] => [file, parse(read(file)) as Section]),
    ...inline.map((item): [string, Section] => ['serverless.yml', item]),
  ];
  expect(
    fragments.flatMap(([file, fragment]) =>
      Object.keys(fragment)
        .filter((key) => !sections.includes(key))
        .map((key) => `${file}: ${key}`),
    ),
  ).toEqual([]);
  // Merging two definitions of one id would not fail: osls merges them into one, silently.
  const definedIn = new Map<string, string[]>();
  for (const [file, fragment] of fragments)
    for (const section of sections)
      for (const id of Object.keys((fragment[section] ?? {}) as Section))
        definedIn.set(`${section}.${id}`, [...(definedIn.get(`${section}.${id}`) ?? []), file]);
  expect([...definedIn].filter(([, where]) => where.length > 1)).toEqual([]);
  expect(definedIn.size).toBeGreaterThan(50);
});
