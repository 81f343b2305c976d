/**
 * One source of truth for both sides: infra/contracts/attributes.json (the attributes a team flags)
 * -> the data action input contract, the output contract (from lib/core/flag-result.ts), the data
 * actions a Genesys admin can import (Lambda and Web Services variants), and the list the function
 * itself enforces at every door (lib/core/attribute-contract.ts, bundled by esbuild like any other
 * source). Terraform in infra/genesys reads the same contract files.
 *
 *   npm run contracts            regenerate the files
 *   npm run contracts -- --check exit 1 when a file is stale (tests do the same)
 *   npm run contracts -- --function-arn <arn> [--out <file>]
 *                                write the Lambda action, ready to import, with the function's ARN
 *                                (default dist/genesys/flag-participant.lambda-action.json)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FLAG_STATUSES } from '../lib/core/flag-result';
import { RESERVED_KEYS, type AttributeType } from '../lib/core/flag-request';

const ROOT = path.resolve(__dirname, '..');
export const ATTRIBUTES_FILE = path.join(ROOT, 'infra/contracts/attributes.json');

export interface AttributeField {
  name: string;
  type: AttributeType;
  description?: string;
}

type Schema = Record<string, unknown>;

/** Genesys's rule for contract property names, minus what the function treats as ids. */
const GENESYS_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ID_FIELDS = new Set(['conversationId', 'participantId', 'participantPurpose', 'attributes']);
const TYPES = new Set(['string', 'integer', 'number', 'boolean']);

export function readAttributes(file = ATTRIBUTES_FILE): AttributeField[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { attributes?: unknown };
  if (!Array.isArray(parsed.attributes) || parsed.attributes.length === 0)
    throw new Error(`${file}: "attributes" must be a non-empty list`);
  const seen = new Set<string>();
  return parsed.attributes.map((entry: unknown, i) => {
    const field = entry as Partial<AttributeField>;
    const where = `${file}: attributes[${i}]`;
    if (typeof field.name !== 'string' || !GENESYS_NAME.test(field.name))
      throw new Error(`${where}: name must start with a letter and hold only letters, digits, - and _`);
    if (ID_FIELDS.has(field.name) || RESERVED_KEYS.has(field.name))
      throw new Error(`${where}: "${field.name}" is reserved`);
    if (seen.has(field.name)) throw new Error(`${where}: "${field.name}" is listed twice`);
    if (!field.type || !TYPES.has(field.type))
      throw new Error(`${where}: type must be string, integer, number or boolean`);
    seen.add(field.name);
    return { name: field.name, type: field.type, ...(field.description ? { description: field.description } : {}) };
  });
}

export function inputContract(attributes: AttributeField[]): Schema {
  const properties: Record<string, Schema> = {
    conversationId: { type: 'string', description: 'Call.ConversationId' },
    participantId: {
      type: 'string',
      description: "The caller's participant id; leave empty to look it up by participantPurpose",
    },
    participantPurpose: {
      type: 'string',
      description: 'Purpose of the participant to flag when participantId is empty (default customer)',
    },
  };
  for (const field of attributes) {
    // One type per property, as in every contract Genesys publishes; optional means "not in
    // required". The function still accepts null (a flow's unset variable: the key is skipped).
    properties[field.name] = { type: field.type, ...(field.description ? { description: field.description } : {}) };
  }
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'Flag participant request',
    description:
      'Generated from infra/contracts/attributes.json by `npm run contracts`. Flat by Genesys rule: every property ' +
      'other than conversationId, participantId and participantPurpose is set as a participant attribute ' +
      '(sent as a string). Only conversationId is required. An attribute left unset (null or absent) is skipped; ' +
      'an empty string is set as an empty string. participantId and participantPurpose left empty or unset mean: ' +
      'look the participant up, by the default purpose (customer).',
    type: 'object',
    required: ['conversationId'],
    properties,
    additionalProperties: true,
  };
}

const OUTPUT_FIELDS: [string, 'string' | 'boolean' | 'integer', string][] = [
  ['status', 'string', 'Outcome; branch on this'],
  ['updated', 'boolean', 'True only when the attributes are set'],
  ['attempts', 'integer', 'Requests sent to the Genesys conversations API'],
  ['httpStatus', 'integer', 'Last Genesys HTTP status, 0 if none'],
  ['elapsedMs', 'integer', 'Time the function spent'],
  ['message', 'string', "Why, in words, for logs and agents' notes"],
  ['correlationId', 'string', 'Genesys contextId, or the Lambda request id'],
  ['participantId', 'string', 'The participant that was flagged, empty if none'],
];

export function outputContract(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'Flag participant result',
    description: `Flat status the flow branches on. status is one of ${FLAG_STATUSES.join(', ')}.`,
    type: 'object',
    required: OUTPUT_FIELDS.map(([name]) => name),
    // Statuses are listed in the description, not as an enum: keep to the schema subset every
    // Genesys contract editor accepts.
    properties: Object.fromEntries(OUTPUT_FIELDS.map(([name, type, description]) => [name, { type, description }])),
    additionalProperties: false,
  };
}

export const TIMEOUTS_FILE = path.join(ROOT, 'infra/contracts/timeouts.json');

export interface Timeouts {
  functionDeadlineMs: number;
  lambdaTimeoutSeconds: number;
  actionTimeoutSeconds: number;
  flowTimeoutSeconds: number;
}

/** The data action path's timeouts, refused unless each is above the one inside it. */
export function readTimeouts(file = TIMEOUTS_FILE): Timeouts {
  const t = JSON.parse(readFileSync(file, 'utf8')) as Partial<Timeouts>;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (
    !whole(t.functionDeadlineMs) ||
    !whole(t.lambdaTimeoutSeconds) ||
    !whole(t.actionTimeoutSeconds) ||
    !whole(t.flowTimeoutSeconds)
  ) {
    throw new Error(`${file}: every timeout must be a positive whole number`);
  }
  if (
    !(
      t.functionDeadlineMs < t.lambdaTimeoutSeconds * 1000 &&
      t.lambdaTimeoutSeconds < t.actionTimeoutSeconds &&
      t.actionTimeoutSeconds < t.flowTimeoutSeconds
    )
  ) {
    throw new Error(
      `${file}: the timeouts must nest: ` +
        'functionDeadlineMs < lambdaTimeoutSeconds < actionTimeoutSeconds < flowTimeoutSeconds',
    );
  }
  if (t.actionTimeoutSeconds > 60) throw new Error(`${file}: a data action times out after at most 60 s`);
  return t as Timeouts;
}

/**
 * The names a flow finds the actions by (Call Data Action selects category = integration name,
 * then the action name). infra/genesys/main.tf gives the actions it creates the same names, and the
 * example flow calls the Lambda one, so an admin who imports the JSON by hand and publishes the
 * flow with Archy edits no name; a test checks the three agree.
 */
export const ACTION_NAMES = { lambda: 'Flag participant', webhook: 'Flag participant (webhook)' } as const;
/** What Terraform names the Lambda integration: `${name_prefix} - Lambda`, with the default prefix. */
export const LAMBDA_INTEGRATION_NAME = 'Participant flagger - Lambda';

/**
 * The committed Lambda action's request URL: an instruction, not an ARN, so an action imported from
 * the template by mistake invokes nothing and shows, where the ARN belongs, how to write the real
 * file. An ARN-shaped placeholder (arn:aws:lambda:REGION:...) would read as nearly done.
 */
export const FUNCTION_ARN_PLACEHOLDER =
  'NOT AN ARN: run npm run contracts -- --function-arn <DataActionFunctionArn> and import the file it writes';

/**
 * An unqualified Lambda function ARN, as the stack output DataActionFunctionArn gives it: the
 * aws, aws-cn, aws-us-gov, ... partitions, a region, a 12-digit account, a function name
 * (letters, digits, - and _, at most 64). Anything else is refused before a file is written.
 */
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z]+(?:-[a-z]+)+-\d+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/;

export function parseFunctionArn(text: string): string {
  if (!FUNCTION_ARN.test(text)) {
    throw new Error(
      `--function-arn: ${JSON.stringify(text)} is not a Lambda function ARN. ` +
        'Expected arn:aws:lambda:<region>:<12-digit account>:function:<name>, ' +
        'without a version or alias, as the stack output DataActionFunctionArn gives it.',
    );
  }
  return text;
}

/**
 * What Admin > Integrations > Actions > Import accepts (the shape Genesys exports). Without a
 * function ARN the Lambda action is the committed template, with FUNCTION_ARN_PLACEHOLDER.
 */
export function importableAction(
  kind: 'lambda' | 'webhook',
  attributes: AttributeField[],
  timeouts = readTimeouts(),
  functionArn?: string,
): Schema {
  const lambda = kind === 'lambda';
  return {
    name: ACTION_NAMES[kind],
    integrationType: lambda ? 'aws-lambda-data-actions' : 'custom-rest-actions',
    actionType: 'custom',
    config: {
      request: {
        requestUrlTemplate: lambda
          ? functionArn === undefined
            ? FUNCTION_ARN_PLACEHOLDER
            : parseFunctionArn(functionArn)
          : 'https://API_ID.execute-api.REGION.amazonaws.com/flag',
        requestType: 'POST',
        // Web Services: a "User Defined" credential on the integration with a field named token.
        headers: lambda ? {} : { Authorization: 'Bearer ${credentials.token}', 'Content-Type': 'application/json' },
        requestTemplate: '${input.rawRequest}',
      },
      response: { translationMap: {}, translationMapDefaults: {}, successTemplate: '${rawResult}' },
      timeoutSeconds: timeouts.actionTimeoutSeconds,
    },
    contract: {
      input: { inputSchema: inputContract(attributes) },
      output: { successSchema: outputContract() },
    },
    secure: false,
  };
}

/**
 * The substitutions the genesyscloud_flow resource (infra/genesys/flow.tf) fills into the example
 * flow, as an Archy options file, for publishing it without Terraform. Generated, so its timeout is
 * timeouts.json's like everywhere else and its names are the import files'. Strings are written as
 * JSON strings (valid double-quoted YAML), the timeout as a bare number: Archy documents string,
 * number and boolean values, and the text of each is what Terraform's provider substitutes.
 */
export function archyOptions(timeouts = readTimeouts()): string {
  const substitutions: [string, string | number][] = [
    ['flow_name', 'Participant flagger - verify and flag'],
    ['integration_name', LAMBDA_INTEGRATION_NAME],
    ['action_name', ACTION_NAMES.lambda],
    ['queue_name', 'Support'],
    ['flow_timeout_seconds', timeouts.flowTimeoutSeconds],
  ];
  return [
    '# Generated by `npm run contracts` (scripts/contracts.ts, infra/contracts/timeouts.json): copy it,',
    '# and edit the copy.',
    '#',
    '# Publishing verify-and-flag.yaml with Archy instead of Terraform: these are the substitutions',
    "# Terraform's genesyscloud_flow resource (infra/genesys/flow.tf) fills in. Archy reads them from",
    '# the options file:',
    '#',
    '#   archy publish --optionsFile my-options.yaml --file infra/genesys/flows/verify-and-flag.yaml',
    '#',
    '# with clientId, clientSecret and location given as --clientId, --clientSecret and --location, or',
    '# added to the copy (then keep it out of version control).',
    '#',
    '# integration_name is the name of your AWS Lambda data actions integration; action_name is the name',
    '# of the action imported from the file `npm run contracts -- --function-arn` writes (for the Web',
    `# Services variant: your Web Services integration's name and ${JSON.stringify(ACTION_NAMES.webhook)});`,
    '# queue_name is the queue the flow transfers to; flow_timeout_seconds is the Call Data Action',
    "# timeout, which must stay above the action's timeoutSeconds.",
    '#',
    "# Archy takes string, number or boolean values (its documentation's lesson on substitutions). The",
    '# names are strings, quoted so that one like "Support: Tier 1" or "No" stays a string; the timeout',
    '# is a number, which the flow places where Architect takes a number of seconds.',
    'substitutions:',
    ...substitutions.map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    '',
  ].join('\n');
}

/**
 * The names and types the function accepts, as TypeScript the bundles compile in: the function
 * refuses every other attribute (lib/core/flag-request.ts), so a producer can only set what the
 * flows' contract lists. Generated, never edited: CI regenerates it and fails on a difference.
 */
export function contractModule(attributes: AttributeField[]): string {
  return [
    '/**',
    ' * Generated by `npm run contracts` from infra/contracts/attributes.json: edit that file and run',
    ' * `npm run contracts`, never this one (a test fails while it is stale). The attributes the function',
    ' * may set, with the type the data action contract gives each; lib/core/flag-request.ts refuses',
    ' * every other name, at every door.',
    ' */',
    "import type { AttributeContract, AttributeType } from './flag-request';",
    '',
    'export const CONTRACT: AttributeContract = new Map<string, AttributeType>([',
    // Single quotes, as the formatter writes them (names and types are checked to need no escaping).
    ...attributes.map((a) => `  ['${a.name}', '${a.type}'],`),
    ']);',
    '',
  ].join('\n');
}

export const CONTRACT_MODULE = 'lib/core/attribute-contract.ts';
export const ARCHY_OPTIONS_FILE = 'infra/genesys/flows/verify-and-flag.archy-options.yaml';
export const LAMBDA_ACTION_TEMPLATE = 'infra/genesys/import/flag-participant.lambda-action.template.json';
/**
 * Where --function-arn writes by default: outside the committed tree (dist/ is ignored, and cleared by every build).
 */
export const READY_LAMBDA_ACTION = 'dist/genesys/flag-participant.lambda-action.json';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function generatedFiles(attributes = readAttributes()): Record<string, string> {
  return {
    [ARCHY_OPTIONS_FILE]: archyOptions(),
    [CONTRACT_MODULE]: contractModule(attributes),
    'infra/contracts/flag-participant.input.json': json(inputContract(attributes)),
    'infra/contracts/flag-participant.output.json': json(outputContract()),
    [LAMBDA_ACTION_TEMPLATE]: json(importableAction('lambda', attributes)),
    'infra/genesys/import/flag-participant.webhook-action.json': json(importableAction('webhook', attributes)),
  };
}

interface Io {
  log: (line: string) => void;
  error: (line: string) => void;
}

type Options = { mode: 'write' | 'check' } | { mode: 'ready'; functionArn: string; out: string };

function parseArgs(argv: string[]): Options {
  const values = new Map<string, string>();
  let check = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag = '', inline] = arg.split(/=(.*)/s);
    if (flag === '--check' && inline === undefined) {
      check = true;
    } else if (flag === '--function-arn' || flag === '--out') {
      let value = inline;
      if (value === undefined) {
        i += 1;
        value = argv[i];
      }
      if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
      values.set(flag, value);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}: use --check, or --function-arn <arn> [--out <file>]`);
    }
  }
  const functionArn = values.get('--function-arn');
  if (functionArn === undefined) {
    if (values.has('--out')) throw new Error('--out goes with --function-arn');
    return { mode: check ? 'check' : 'write' };
  }
  if (check) throw new Error('--check and --function-arn do not go together');
  // npm runs scripts in the package root; a relative --out is taken from where npm was run.
  const out = path.resolve(
    process.env.INIT_CWD ?? process.cwd(),
    values.get('--out') ?? path.join(ROOT, READY_LAMBDA_ACTION),
  );
  // infra/ holds the committed, generated files that CI compares with what this script writes.
  const relative = path.relative(path.join(ROOT, 'infra'), out);
  if (!relative.startsWith('..') && !path.isAbsolute(relative))
    throw new Error(`--out: ${out} is inside infra/, whose files are committed as generated; write it elsewhere`);
  return { mode: 'ready', functionArn: parseFunctionArn(functionArn), out };
}

/** The command line; returns the exit code. */
export function runContracts(argv: string[], io: Io = console): number {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    io.error((error as Error).message);
    return 2;
  }
  if (options.mode === 'ready') {
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, json(importableAction('lambda', readAttributes(), readTimeouts(), options.functionArn)));
    io.log(
      `wrote ${options.out}: import it in Admin > Integrations > Actions onto your AWS Lambda data actions integration`,
    );
    return 0;
  }
  let stale = 0;
  for (const [file, content] of Object.entries(generatedFiles())) {
    const target = path.join(ROOT, file);
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: written below, or stale in --check mode
    }
    if (current === content) continue;
    if (options.mode === 'check') {
      io.error(`stale: ${file} (run npm run contracts)`);
      stale += 1;
    } else {
      writeFileSync(target, content);
      io.log(`wrote ${file}`);
    }
  }
  if (options.mode === 'check' && stale === 0) io.log('contracts are up to date');
  return stale > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = runContracts(process.argv.slice(2));
