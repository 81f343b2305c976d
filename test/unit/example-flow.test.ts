/**
 * The example Architect flow (infra/genesys/flows/verify-and-flag.yaml) cannot be published here
 * (Archy needs a Genesys org), so it is parsed as the genesyscloud_flow resource would hand it
 * over, with its substitutions made, and checked for what matters: it calls the data action the
 * Terraform creates, under the names the importable actions carry, with inputs from its contract;
 * run against every status, it takes the README's path for each, with exactly one retry; and the
 * timeouts nest from the flow down to the function's deadline, all read from timeouts.json.
 *
 * Everything here reads source files (serverless.yml, the Terraform, the flow), so it runs on a
 * fresh clone, before anything is built or packaged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import input from '../../infra/contracts/flag-participant.input.json';
import output from '../../infra/contracts/flag-participant.output.json';
import lambdaAction from '../../infra/genesys/import/flag-participant.lambda-action.template.json';
import webhookAction from '../../infra/genesys/import/flag-participant.webhook-action.json';
import { NUMERIC_SETTINGS } from '../../lib/config';
import { FLAG_STATUSES } from '../../lib/core/flag-result';
import {
  ARCHY_OPTIONS_FILE,
  TIMEOUTS_FILE,
  readAttributes,
  readTimeouts,
  type Timeouts,
} from '../../scripts/contracts';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const timeouts = readTimeouts();

type Node = Record<string, unknown>;
const asNode = (value: unknown): Node => (typeof value === 'object' && value !== null ? (value as Node) : {});

// ----- The Terraform, read as text (terraform validate needs the provider download) -----

/** The body of the first block whose header matches, braces balanced. */
function tfBlock(text: string, header: RegExp): string {
  const match = header.exec(text);
  if (!match) throw new Error(`no block ${header}`);
  let depth = 0;
  const start = text.indexOf('{', match.index);
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && --depth === 0) return text.slice(start + 1, i);
  }
  throw new Error(`unbalanced block ${header}`);
}

/** The expression of an attribute at the top level of a block body (nested blocks skipped). */
function tfAttr(body: string, name: string): string {
  let depth = 0;
  for (const line of body.split('\n')) {
    const m = new RegExp(`^\\s*${name}\\s*=\\s*(.+?)\\s*$`).exec(line);
    if (depth === 0 && m?.[1]) return m[1];
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  throw new Error(`no attribute ${name}`);
}

const mainTf = read('infra/genesys/main.tf');
const flowTf = read('infra/genesys/flow.tf');
const variablesTf = read('infra/genesys/variables.tf');
const resource = (type: string, name: string, file = mainTf) =>
  tfBlock(file, new RegExp(`resource "${type}" "${name}"`));
const namePrefix = JSON.parse(tfAttr(tfBlock(variablesTf, /variable "name_prefix"/), 'default')) as string;

/** A Terraform string literal or reference as the default variables resolve it. */
function tfValue(expression: string, queue: string): string {
  const literal = (text: string) =>
    (JSON.parse(text) as string).replace(/\$\{var\.name_prefix\}/g, namePrefix).replace(/\$\{[^}]*\}/g, (m) => {
      throw new Error(`cannot resolve ${m}`);
    });
  if (expression.startsWith('"')) return literal(expression);
  if (expression === 'genesyscloud_integration.lambda.config[0].name')
    return literal(tfAttr(tfBlock(resource('genesyscloud_integration', 'lambda'), /config/), 'name'));
  if (expression === 'genesyscloud_integration_action.flag_participant.name')
    return literal(tfAttr(resource('genesyscloud_integration_action', 'flag_participant'), 'name'));
  if (expression === 'var.example_flow_queue') return queue;
  const local = /^local\.timeouts\.(\w+)$/.exec(expression);
  if (local?.[1]) return String(timeouts[local[1] as keyof Timeouts]);
  throw new Error(`cannot resolve ${expression}`);
}

/** What genesyscloud_flow substitutes into the flow, with the variables' defaults. */
function terraformSubstitutions(queue = 'Support'): Record<string, string> {
  const body = tfBlock(resource('genesyscloud_flow', 'verify_and_flag', flowTf), /substitutions\s*=/);
  const entries = [...body.matchAll(/^\s*(\w+)\s*=\s*(.+?)\s*$/gm)].map((m) => [
    m[1] ?? '',
    tfValue(m[2] ?? '', queue),
  ]);
  return Object.fromEntries(entries);
}

/** The substitutions an admin hands `archy publish --optionsFile` without Terraform. */
const archySubstitutions = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(asNode(asNode(parse(read(ARCHY_OPTIONS_FILE))).substitutions)).map(([k, v]) => [k, String(v)]),
  );

const flowText = read('infra/genesys/flows/verify-and-flag.yaml');
const placeholders = [...new Set([...flowText.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]))].sort();

/** The flow as published: every {{name}} replaced by its substitution. */
function publishedFlow(values: Record<string, string>): Node {
  const text = flowText.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for {{${name}}}`);
    return value;
  });
  return asNode(asNode(parse(text)).inboundCall);
}

const flow = publishedFlow(terraformSubstitutions());

/** Every action of the flow, nested ones included, as [kind, body]. */
function actions(node: unknown, found: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) for (const item of node) actions(item, found);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (['callData', 'switch', 'decision', 'transferToAcd', 'updateData', 'disconnect'].includes(key))
        found.push([key, asNode(value)]);
      actions(value, found);
    }
  }
  return found;
}

const calls = actions(flow)
  .filter(([kind]) => kind === 'callData')
  .map(([, body]) => body);
const integrationName = tfValue('genesyscloud_integration.lambda.config[0].name', '');
const actionOf = (call: Node): Node =>
  asNode(asNode(asNode(asNode(call.category)[integrationName]).dataAction)[String(lambdaAction.name)]);

// ----- Running the flow: what each status leads to -----

/** What a Call Data Action hands the flow: a status on its success path, or its own failure or timeout path. */
type Answer = string | 'failure' | 'timeout';
interface Run {
  calls: number;
  transfer?: string;
}

/** Architect expressions of the forms the flow uses: `Task.X == "Y" or …`, or a boolean variable. */
function evaluate(expression: string, vars: Record<string, unknown>): boolean {
  return expression.split(/\s+or\s+/).some((term) => {
    const equals = /^(Task\.\w+) == "([^"]*)"$/.exec(term.trim());
    if (equals) return vars[equals[1] ?? ''] === equals[2];
    const variable = /^(Task\.\w+)$/.exec(term.trim());
    if (variable && typeof vars[variable[1] ?? ''] === 'boolean') return vars[variable[1] ?? ''] === true;
    throw new Error(`an expression this test cannot read: ${term}`);
  });
}

/**
 * Runs the flow's task as Architect would, the data action answering from `answers` (one per
 * call; a call with none left fails the test), up to the transfer it ends in. Strict on shapes:
 * a switch must be `evaluate.firstTrue` with `cases[].case.{value.exp, actions}` and
 * `default.actions`, as Archy writes it.
 */
function runFlow(answers: Answer[], options: { verified?: boolean } = {}): Run {
  const task = asNode(asNode((flow.tasks as unknown[])[0]).task);
  const vars: Record<string, unknown> = {};
  for (const v of task.variables as Node[]) {
    const [[, body]] = Object.entries(v) as [[string, Node]];
    vars[String(body.name)] = asNode(body.initialValue).lit;
  }
  const remaining = [...answers];
  const state: Run = { calls: 0 };
  const exec = (list: unknown): boolean => {
    if (!Array.isArray(list)) throw new Error('actions must be a list');
    for (const item of list as Node[]) {
      const [[kind, body]] = Object.entries(item) as [[string, Node]];
      switch (kind) {
        case 'updateData':
          for (const statement of body.statements as Node[]) {
            const [[, s]] = Object.entries(statement) as [[string, Node]];
            const name = String(s.variable);
            vars[name] =
              name === 'Task.Verified' && options.verified !== undefined ? options.verified : asNode(s.value).lit;
          }
          break;
        case 'decision': {
          const taken = evaluate(String(asNode(body.condition).exp), vars) ? 'yes' : 'no';
          const branch = asNode(asNode(body.outputs)[taken]);
          if (branch.actions && exec(branch.actions)) return true;
          break;
        }
        case 'switch': {
          const firstTrue = asNode(asNode(body.evaluate).firstTrue);
          const cases = (firstTrue.cases as Node[]).map((c) => asNode(c.case));
          for (const c of cases) expect(Object.keys(c).sort()).toEqual(['actions', 'value']);
          const taken = cases.find((c) => evaluate(String(asNode(c.value).exp), vars));
          const chosen = taken ? taken.actions : asNode(firstTrue.default).actions;
          if (chosen === undefined) throw new Error('a switch without default.actions');
          if (exec(chosen)) return true;
          break;
        }
        case 'callData': {
          state.calls += 1;
          const answer = remaining.shift();
          if (answer === undefined) throw new Error(`call ${state.calls} was not expected`);
          if (answer === 'failure' || answer === 'timeout') {
            if (exec(asNode(asNode(body.outputs)[answer]).actions)) return true;
          } else {
            const outputs = asNode(actionOf(body).successOutputs);
            for (const [name, target] of Object.entries(outputs))
              vars[String(asNode(target).var)] = name === 'status' ? answer : `${name} of ${answer}`;
          }
          break;
        }
        case 'transferToAcd':
          state.transfer = String(body.name);
          return true;
        case 'disconnect':
          return true;
        default:
          throw new Error(`an action this test cannot run: ${kind}`);
      }
    }
    return false;
  };
  exec(task.actions);
  expect(remaining).toEqual([]); // every answer given was asked for
  return state;
}

/** What the README's status table tells a flow to do with each status. */
function readmeAdvice(): Map<string, 'continue' | 'retry' | 'transfer'> {
  const advice = new Map<string, 'continue' | 'retry' | 'transfer'>();
  for (const m of read('README.md').matchAll(/^\| `([A-Z_]+)` \| [^|]+ \| ([^|]+) \|$/gm)) {
    const text = (m[2] ?? '').trim();
    advice.set(m[1] ?? '', text === 'continue' ? 'continue' : text.startsWith('retry') ? 'retry' : 'transfer');
  }
  return advice;
}

const FLAG_SET = /^To an agent, flag set/;
const FLAG_MISSING = /^To an agent, flag missing/;

// ----- The tests -----

test('the flow calls the action by the names Terraform gives it and the import files carry', () => {
  const lambdaName = tfValue(tfAttr(resource('genesyscloud_integration_action', 'flag_participant'), 'name'), '');
  const webhookName = tfValue(
    tfAttr(resource('genesyscloud_integration_action', 'flag_participant_webhook'), 'name'),
    '',
  );
  expect(lambdaAction.name).toBe(lambdaName);
  expect(webhookAction.name).toBe(webhookName);
  expect(lambdaName).not.toBe(webhookName);
  // Published by Terraform, and by Archy with the options file an admin starts from: the same names.
  for (const published of [flow, publishedFlow(archySubstitutions())]) {
    const called = actions(published)
      .filter(([kind]) => kind === 'callData')
      .map(([, body]) => body);
    expect(called).toHaveLength(2); // the call and its one retry
    for (const call of called) {
      const category = asNode(call.category);
      expect(Object.keys(category)).toEqual([integrationName]);
      expect(Object.keys(asNode(asNode(category[integrationName]).dataAction))).toEqual([lambdaAction.name]);
    }
  }
});

test('the Archy options file holds exactly the substitutions genesyscloud_flow fills in, with the same values', () => {
  const terraform = terraformSubstitutions();
  const archy = archySubstitutions();
  expect(Object.keys(terraform).sort()).toEqual(placeholders);
  expect(Object.keys(archy).sort()).toEqual(placeholders);
  expect(archy).toEqual(terraform);
});

describe(
  "the substitutions, written as Archy's documentation shows " +
    '(developer.genesys.cloud, Archy, lesson 7: substitutions)',
  () => {
    // Values are strings, numbers or booleans; in the flow, a placeholder that stands for a string is
    // quoted. Terraform's provider replaces each {{key}} with its string as text, so both routes give
    // the same flow only if the text of each options value is Terraform's string.
    const raw = read(ARCHY_OPTIONS_FILE);
    const values = asNode(asNode(parse(raw)).substitutions);

    test(
      'the names are strings, written quoted (a name like "Support: Tier 1" or "No" stays one); ' +
        'the timeout is a number',
      () => {
        expect(Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value]))).toEqual({
          flow_name: 'string',
          integration_name: 'string',
          action_name: 'string',
          queue_name: 'string',
          flow_timeout_seconds: 'number',
        });
        for (const [key, value] of Object.entries(values)) {
          if (typeof value === 'string') expect(raw).toContain(`\n  ${key}: ${JSON.stringify(value)}\n`);
        }
        for (const name of ['Support: Tier 1', 'No', '0800']) {
          expect(
            asNode(asNode(parse(`substitutions:\n  queue_name: ${JSON.stringify(name)}\n`)).substitutions).queue_name,
          ).toBe(name);
        }
      },
    );

    test("in the flow, every placeholder for a string sits in a quoted scalar, and the number's does not", () => {
      const uses = flowText
        .split('\n')
        .flatMap((line) => [...line.matchAll(/\{\{(\w+)\}\}/g)].map((m) => ({ line: line.trim(), key: m[1] ?? '' })));
      expect(uses.length).toBeGreaterThan(placeholders.length);
      for (const { line, key } of uses) {
        const quoted = new RegExp(`"[^"]*\\{\\{${key}\\}\\}[^"]*"`).test(line);
        expect({ line, quoted }).toEqual({ line, quoted: typeof values[key] === 'string' });
      }
      // The number lands where Architect takes a number of seconds, and parses as one.
      for (const call of actions(publishedFlow(archySubstitutions())).filter(([kind]) => kind === 'callData')) {
        expect(call[1].timeout).toEqual({ lit: { seconds: timeouts.flowTimeoutSeconds } });
      }
    });
  },
);

test(
  "its inputs are the contract's: the required ones bound, " + 'every attribute of attributes.json given, nothing else',
  () => {
    for (const call of calls) {
      const action = actionOf(call);
      const inputs = asNode(action.inputs);
      expect(Object.keys(inputs).sort()).toEqual(Object.keys(input.properties).sort());
      for (const name of input.required) expect(asNode(inputs[name]).noValue).toBeUndefined();
      expect(asNode(inputs.conversationId)).toEqual({ exp: 'Call.ConversationId' });
      for (const attribute of readAttributes()) expect(inputs).toHaveProperty(attribute.name);
      const outputs = asNode(action.successOutputs);
      for (const name of Object.keys(outputs)) expect(output.properties).toHaveProperty(name);
      expect(outputs.status).toEqual({ var: 'Task.FlagStatus' });
      // The action's own failure and timeout paths are set, so the switch sees them.
      expect(Object.keys(asNode(call.outputs)).sort()).toEqual(['failure', 'timeout']);
    }
  },
);

describe('every status takes the path the README gives it', () => {
  const advice = readmeAdvice();
  const retried = FLAG_STATUSES.filter((s) => advice.get(s) === 'retry');
  const others = [...FLAG_STATUSES.filter((s) => advice.get(s) === 'transfer'), 'failure', 'timeout'];

  test('the README names every status, and four of them are worth a retry', () => {
    expect([...advice.keys()].sort()).toEqual([...FLAG_STATUSES].sort());
    expect(retried.sort()).toEqual(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'TIMEOUT', 'UPSTREAM_ERROR']);
    expect(FLAG_STATUSES.filter((s) => advice.get(s) === 'continue')).toEqual(['UPDATED']);
  });

  test('UPDATED: on to an agent with the flag set, after one call', () => {
    expect(runFlow(['UPDATED'])).toEqual({ calls: 1, transfer: 'To an agent, flag set' });
  });

  test.each(retried)('%s: exactly one retry, then the flag set or missing by its answer', (first) => {
    for (const second of [...FLAG_STATUSES, 'failure', 'timeout']) {
      const run = runFlow([first, second]);
      expect({ second, calls: run.calls }).toEqual({ second, calls: 2 });
      expect({ second, transfer: run.transfer }).toEqual({
        second,
        transfer: expect.stringMatching(second === 'UPDATED' ? FLAG_SET : FLAG_MISSING),
      });
    }
  });

  test.each(others)('%s: no retry, to an agent with the flag missing', (answer) => {
    expect(runFlow([answer])).toEqual({ calls: 1, transfer: expect.stringMatching(FLAG_MISSING) });
  });

  test('a status added later reaches an agent too (the default path)', () => {
    expect(runFlow(['SOMETHING_NEW'])).toEqual({ calls: 1, transfer: expect.stringMatching(FLAG_MISSING) });
  });

  test('an unverified caller is not flagged and still reaches an agent', () => {
    expect(runFlow([], { verified: false })).toEqual({ calls: 0, transfer: expect.stringMatching(FLAG_MISSING) });
  });
});

test('the processing prompt is audio (a system prompt), not text to speech', () => {
  for (const call of calls) expect(call.processingPrompt).toEqual({ lit: { name: 'PromptSystem.processing' } });
});

describe("the timeouts nest: flow > data action > Lambda > the function's deadline, all from timeouts.json", () => {
  /** A `${file(./x.json):key}` reference of serverless.yml, resolved as osls resolves it. */
  function fileReference(value: unknown): { file: string; value: unknown } {
    const m = /^\$\{file\((\.\/[^)]+)\):(\w+)\}$/.exec(String(value));
    if (!m?.[1] || !m[2]) throw new Error(`not a \${file(...):key} reference: ${String(value)}`);
    return { file: path.join(ROOT, m[1]), value: (JSON.parse(read(m[1])) as Record<string, unknown>)[m[2]] };
  }

  test('the flow, and the importable actions', () => {
    for (const call of calls) expect(call.timeout).toEqual({ lit: { seconds: timeouts.flowTimeoutSeconds } });
    for (const action of [lambdaAction, webhookAction])
      expect(action.config.timeoutSeconds).toBe(timeouts.actionTimeoutSeconds);
  });

  test('the Lambda timeout and the deadline in serverless.yml', () => {
    const functions = asNode(asNode(parse(read('serverless.yml'))).functions);
    for (const name of ['dataAction', 'webhook']) {
      const fn = asNode(functions[name]);
      const timeout = fileReference(fn.timeout);
      const deadline = fileReference(asNode(fn.environment).FLAG_DEADLINE_MS);
      expect([timeout.file, deadline.file]).toEqual([TIMEOUTS_FILE, TIMEOUTS_FILE]);
      expect({ name, timeout: timeout.value, deadline: deadline.value }).toEqual({
        name,
        timeout: timeouts.lambdaTimeoutSeconds,
        deadline: timeouts.functionDeadlineMs,
      });
    }
    // The function's own default (used outside Lambda) is the same deadline.
    expect(NUMERIC_SETTINGS.deadlineMs.default).toBe(timeouts.functionDeadlineMs);
    // The deadline leaves Lambda's time for the safety margin and the answer.
    expect(timeouts.lambdaTimeoutSeconds * 1000).toBeGreaterThanOrEqual(
      timeouts.functionDeadlineMs + NUMERIC_SETTINGS.safetyMarginMs.default,
    );
    // After a cold start, init and answer together take at most the deadline (the init's time
    // counts against the first invocation): that stays at least 1 s inside the data action's timeout.
    expect(timeouts.actionTimeoutSeconds * 1000 - 1000).toBeGreaterThanOrEqual(timeouts.functionDeadlineMs);
  });

  test('the Terraform: every timeout is read from timeouts.json, and none can be overridden', () => {
    const timeoutsFile = /jsondecode\(file\("\$\{path\.module\}\/([^"]+)"\)\)/.exec(
      tfAttr(tfBlock(mainTf, /^locals/m), 'timeouts'),
    )?.[1];
    expect(path.resolve(ROOT, 'infra/genesys', timeoutsFile ?? '')).toBe(TIMEOUTS_FILE);
    for (const name of ['flag_participant', 'flag_participant_webhook']) {
      expect(tfAttr(resource('genesyscloud_integration_action', name), 'config_timeout_seconds')).toBe(
        'local.timeouts.actionTimeoutSeconds',
      );
    }
    expect(terraformSubstitutions().flow_timeout_seconds).toBe(String(timeouts.flowTimeoutSeconds));
    expect(flowTf).toMatch(/flow_timeout_seconds\s*=\s*local\.timeouts\.flowTimeoutSeconds\n/);
    // No variable may set a timeout, and no timeout anywhere comes from elsewhere.
    const files = readdirSync(path.join(ROOT, 'infra/genesys')).filter((f) => f.endsWith('.tf'));
    for (const file of files) {
      const text = read(`infra/genesys/${file}`);
      expect({ file, variables: [...text.matchAll(/variable "(\w*timeout\w*)"/gi)].map((m) => m[1]) }).toEqual({
        file,
        variables: [],
      });
      for (const m of text.matchAll(/^\s*(\w*timeout(?!s)\w*)\s*=\s*(.+?)\s*$/gim))
        expect({ file, [m[1] ?? '']: m[2] }).toEqual({
          file,
          [m[1] ?? '']: expect.stringMatching(/^local\.timeouts\.\w+$/),
        });
    }
    // An apply of a timeouts.json that does not nest stops at the Lambda action.
    const lifecycle = tfBlock(resource('genesyscloud_integration_action', 'flag_participant'), /lifecycle/);
    expect(tfAttr(tfBlock(lifecycle, /precondition/), 'condition')).toBe('local.timeouts_nest');
  });

  const terraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
  (terraform ? test : test.skip)(
    "the Terraform's precondition holds for timeouts.json and fails for every file that does not nest",
    () => {
      const expression = tfAttr(tfBlock(mainTf, /^locals/m), 'timeouts_nest');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'timeouts-nest-'));
      const variants: Record<string, number>[] = [
        { ...timeouts },
        { ...timeouts, functionDeadlineMs: timeouts.lambdaTimeoutSeconds * 1000 },
        { ...timeouts, lambdaTimeoutSeconds: timeouts.actionTimeoutSeconds },
        { ...timeouts, actionTimeoutSeconds: timeouts.flowTimeoutSeconds },
        { ...timeouts, actionTimeoutSeconds: 61, flowTimeoutSeconds: 62 },
        // The override the Terraform once allowed: the action at 30 s, the flow still at its own.
        { ...timeouts, actionTimeoutSeconds: 30 },
      ];
      const checks = variants.map((variant, i) => {
        const file = path.join(dir, `${i}.json`);
        writeFileSync(file, JSON.stringify(variant));
        return expression.replace(/local\.timeouts\b/g, `jsondecode(file(${JSON.stringify(file)}))`);
      });
      const out = execFileSync('terraform', ['console'], {
        cwd: dir,
        input: `jsonencode([${checks.join(', ')}])\n`,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      expect(JSON.parse(JSON.parse(out.trim()) as string)).toEqual([true, false, false, false, false, false]);
    },
  );
});

test('timeouts that do not nest are refused where they are read', () => {
  const file = path.join(os.tmpdir(), `timeouts-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      functionDeadlineMs: 8000,
      lambdaTimeoutSeconds: 10,
      actionTimeoutSeconds: 9,
      flowTimeoutSeconds: 15,
    }),
  );
  expect(() => readTimeouts(file)).toThrow('must nest');
});
