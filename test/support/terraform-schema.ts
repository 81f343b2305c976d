/**
 * Checks the Terraform in infra/genesys against a snapshot of the CX as Code provider's schema,
 * offline: `terraform validate` would do it, but it needs the provider download. HCL is parsed
 * with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly), so what is read is what
 * Terraform reads; the rules applied are the schema's only (names, required, configurable), not
 * types or values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

// Required, not imported: the package's type declarations reference the DOM library, which would
// then be in scope for the whole type check (lib/ included). Its one function used here:
const { parse } = require('@cdktf/hcl2json') as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};

/** Letters of the snapshot: r required, o optional, c computed. "c" alone: set by the provider only. */
type Flags = string;
interface BlockSchema {
  flags: Flags;
  block: Record<string, Flags>;
}
type ResourceSchema = Record<string, Flags | BlockSchema>;

export interface SchemaSnapshot {
  /** The provider release the snapshot was read from, e.g. "1.84.1". */
  version: string;
  resources: Record<string, ResourceSchema>;
}

type Body = Record<string, unknown>;
/** What hcl2json makes of one .tf file: blocks are lists of bodies, keyed by their labels. */
export type HclFile = Record<string, unknown>;

/** Terraform's own arguments of a resource block, which no provider schema lists. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider']);

/** Reads a snapshot named genesyscloud-v<version>.json; its $comment must name the same version. */
export function readSchemaSnapshot(file: string): SchemaSnapshot {
  const version = /^genesyscloud-v(\d+\.\d+\.\d+)\.json$/.exec(path.basename(file))?.[1];
  if (!version) throw new Error(`${file}: the name must be genesyscloud-v<major>.<minor>.<patch>.json`);
  const { $comment, ...resources } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof $comment !== 'string' || !$comment.includes(`v${version}`))
    throw new Error(`${file}: its $comment must name the source, v${version}`);
  return { version, resources: resources as Record<string, ResourceSchema> };
}

export async function parseTerraform(files: Record<string, string>): Promise<HclFile[]> {
  return Promise.all(Object.entries(files).map(([name, text]) => parse(name, text)));
}

const asBody = (value: unknown): Body =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : {};
const bodies = (value: unknown): Body[] => (Array.isArray(value) ? value.map(asBody) : []);
const flagsOf = (entry: Flags | BlockSchema): Flags => (typeof entry === 'string' ? entry : entry.flags);

/** Complaints about one body (a resource's or a nested block's), each prefixed with where it is. */
function checkBody(
  where: string,
  prefix: string,
  body: Body,
  schema: Record<string, Flags | BlockSchema>,
  top: boolean,
): string[] {
  const complaints: string[] = [];
  const dynamic = asBody(body.dynamic);
  const present = new Set([...Object.keys(body), ...Object.keys(dynamic)]);
  for (const [name, value] of Object.entries(body)) {
    if (top && META_ARGUMENTS.has(name)) continue;
    if (name === 'dynamic') continue;
    const entry = schema[name];
    if (entry === undefined) {
      complaints.push(`${where}: ${prefix}${name} is not in the schema`);
    } else if (typeof entry === 'string') {
      if (!/[ro]/.test(entry))
        complaints.push(`${where}: ${prefix}${name} is computed by the provider and cannot be set`);
    } else if (!Array.isArray(value)) {
      complaints.push(`${where}: ${prefix}${name} is a block, not an argument`);
    } else {
      for (const nested of bodies(value))
        complaints.push(...checkBody(where, `${prefix}${name}.`, nested, entry.block, false));
    }
  }
  // `dynamic "name" { content { ... } }` stands for blocks named `name`.
  for (const [name, value] of Object.entries(dynamic)) {
    const entry = schema[name];
    if (entry === undefined || typeof entry === 'string') {
      complaints.push(`${where}: ${prefix}dynamic "${name}" is not a block of the schema`);
      continue;
    }
    for (const generator of bodies(value)) {
      for (const content of bodies(generator.content))
        complaints.push(...checkBody(where, `${prefix}${name}.`, content, entry.block, false));
    }
  }
  for (const [name, entry] of Object.entries(schema)) {
    if (flagsOf(entry).includes('r') && !present.has(name)) complaints.push(`${where}: ${prefix}${name} is required`);
  }
  return complaints;
}

export interface ResourceCheck {
  /** Every genesyscloud_* resource read, as type.name. */
  checked: string[];
  complaints: string[];
}

/** Every genesyscloud_* resource against the snapshot: arguments, blocks, required ones. */
export function checkResources(files: HclFile[], snapshot: SchemaSnapshot): ResourceCheck {
  const result: ResourceCheck = { checked: [], complaints: [] };
  for (const file of files) {
    for (const [type, byName] of Object.entries(asBody(file.resource))) {
      if (!type.startsWith('genesyscloud_')) continue;
      const schema = snapshot.resources[type];
      for (const [name, instances] of Object.entries(asBody(byName))) {
        const where = `${type}.${name}`;
        result.checked.push(where);
        if (!schema) {
          result.complaints.push(`${where}: ${type} is not in the schema snapshot (v${snapshot.version})`);
          continue;
        }
        for (const body of bodies(instances)) result.complaints.push(...checkBody(where, '', body, schema, true));
      }
    }
  }
  return result;
}

/**
 * The provider block: the snapshot holds no provider settings, and this project sets none
 * (credentials come from the environment), so any setting is reported rather than let through
 * unchecked.
 */
export function checkProviderBlocks(files: HclFile[]): string[] {
  return files.flatMap((file) =>
    bodies(asBody(file.provider).genesyscloud).flatMap((body) =>
      Object.keys(body).map(
        (name) =>
          `provider genesyscloud: ${name} is set, and the snapshot holds no provider settings to check it against`,
      ),
    ),
  );
}

type Version = [number, number, number];

function parseVersion(text: string): { version: Version; segments: number } | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  return {
    version: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)],
    segments: [m[1], m[2], m[3]].filter((s) => s !== undefined).length,
  };
}

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether a Terraform version constraint ("~> 1.84.1", ">= 1.84.1, < 1.85.0") admits a version.
 * Operators as Terraform documents them; `~>` lets only the rightmost given segment grow.
 */
export function admits(constraint: string, candidate: string): boolean {
  const v = parseVersion(candidate)?.version;
  if (!v) throw new Error(`not a version: ${candidate}`);
  return constraint.split(',').every((clause) => {
    const m = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/.exec(clause);
    const bound = m?.[2] ? parseVersion(m[2]) : undefined;
    if (!m || !bound) throw new Error(`not a version constraint: ${constraint}`);
    const c = compare(v, bound.version);
    switch (m[1] ?? '=') {
      case '=':
        return c === 0;
      case '!=':
        return c !== 0;
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      default: {
        // ~> 1.84.1: >= 1.84.1, < 1.85.0; ~> 1.84: >= 1.84.0, < 2.0.0.
        if (c < 0 || bound.segments === 1) return c >= 0;
        const upper: Version =
          bound.segments === 3 ? [bound.version[0], bound.version[1] + 1, 0] : [bound.version[0] + 1, 0, 0];
        return compare(v, upper) < 0;
      }
    }
  });
}

/**
 * The required_providers entry must be the provider the snapshot was read from, and its constraint
 * must admit the snapshot's release and no other minor line, nor any earlier release: the .tf files
 * are checked against that schema only.
 */
export function checkVersionConstraint(files: HclFile[], snapshotVersion: string): string[] {
  const entries = files.flatMap((file) =>
    bodies(file.terraform).flatMap((terraform) =>
      bodies(terraform.required_providers).map((providers) => asBody(providers.genesyscloud)),
    ),
  );
  if (entries.length !== 1) return [`required_providers must name genesyscloud once, found ${entries.length}`];
  const [entry] = entries as [Body];
  const complaints: string[] = [];
  if (entry.source !== 'mypurecloud/genesyscloud')
    complaints.push(
      `required_providers genesyscloud: source is ${JSON.stringify(entry.source)}, not "mypurecloud/genesyscloud"`,
    );
  const constraint = typeof entry.version === 'string' ? entry.version : '';
  const [major, minor, patch] = parseVersion(snapshotVersion)?.version ?? [0, 0, 0];
  const earlier = patch > 0 ? `${major}.${minor}.${patch - 1}` : `${major}.${Math.max(minor - 1, 0)}.999`;
  const nextMinor = `${major}.${minor + 1}.0`;
  let wrong: string[];
  try {
    wrong = [
      admits(constraint, snapshotVersion) ? '' : `it refuses ${snapshotVersion}`,
      admits(constraint, earlier) ? `it admits ${earlier}` : '',
      admits(constraint, nextMinor) ? `it admits ${nextMinor}` : '',
    ].filter(Boolean);
  } catch {
    wrong = ['it is not a version constraint'];
  }
  if (wrong.length > 0) {
    complaints.push(
      `required_providers genesyscloud: version ${JSON.stringify(constraint)} ` +
        `must admit the snapshot's ${snapshotVersion} and nothing outside ${major}.${minor}.x from it on: ` +
        `${wrong.join(', ')}`,
    );
  }
  return complaints;
}
