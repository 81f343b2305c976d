/**
 * The example Architect flow (infra/genesys/flows/verify-and-flag.yaml) cannot be published here
 * (Archy needs a Genesys org), so it is parsed as the genesyscloud_flow resource would hand it
 * over, with its substitutions made, and checked for what matters: it calls the data action the
 * Terraform creates with inputs from its contract, every status has a path, one retry for what a
 * second try may fix, and the timeouts nest from the flow down to the function's deadline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import input from '../../infra/contracts/flag-participant.input.json';
import output from '../../infra/contracts/flag-participant.output.json';
import lambdaAction from '../../infra/genesys/import/flag-participant.lambda-action.json';
import webhookAction from '../../infra/genesys/import/flag-participant.webhook-action.json';
import { NUMERIC_SETTINGS } from '../../lib/config';
import { FLAG_STATUSES } from '../../lib/core/flag-result';
import { readAttributes, readTimeouts } from '../../scripts/contracts';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const timeouts = readTimeouts();

type Node = Record<string, unknown>;
const asNode = (value: unknown): Node => (typeof value === 'object' && value !== null ? (value as Node) : {});

/** The flow as Terraform publishes it: every {{name}} replaced by its substitution. */
function publishedFlow(): Node {
  const flowTf = read('infra/genesys/flow.tf');
  const names = [...flowTf.matchAll(/^\s{4}(\w+)\s*=/gm)].map((m) => m[1]);
  const values: Record<string, string> = {
    flow_name: 'Participant flagger - verify and flag',
    integration_name: 'Participant flagger - Lambda',
    action_name: 'Flag participant',
    queue_name: 'Support',
    flow_timeout_seconds: String(timeouts.flowTimeoutSeconds),
  };
  expect(names.sort()).toEqual(Object.keys(values).sort());
  const text = read('infra/genesys/flows/verify-and-flag.yaml').replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for {{${name}}}`);
    return value;
  });
  return asNode(parse(text));
}

/** Every action of the flow, nested ones included, as [kind, body]. */
function actions(node: unknown, found: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) node.forEach((item) => actions(item, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (['callData', 'switch', 'decision', 'transferToAcd', 'updateData', 'disconnect'].includes(key)) found.push([key, asNode(value)]);
      actions(value, found);
    }
  }
  return found;
}

/** The statuses an Architect condition of the form `Task.FlagStatus == "X" or ...` accepts. */
function statusesOf(expression: string): string[] {
  const terms = expression.split(/\s+or\s+/);
  return terms.map((term) => {
    const match = /^Task\.FlagStatus == "([A-Z_]+)"$/.exec(term.trim());
    if (!match?.[1]) throw new Error(`not a status comparison: ${term}`);
    return match[1];
  });
}

const flow = asNode(publishedFlow().inboundCall);
const all = actions(flow);
const calls = all.filter(([kind]) => kind === 'callData').map(([, body]) => body);

test('the flow calls the data action the Terraform creates, by its integration and action names', () => {
  const mainTf = read('infra/genesys/main.tf');
  expect(mainTf).toContain('name                   = "Flag participant"');
  expect(mainTf).toMatch(/name\s+= "\$\{var\.name_prefix\} - Lambda"/);
  expect(calls).toHaveLength(2); // the call and its one retry
  for (const call of calls) {
    const category = asNode(call.category);
    expect(Object.keys(category)).toEqual(['Participant flagger - Lambda']);
    expect(Object.keys(asNode(asNode(category['Participant flagger - Lambda']).dataAction))).toEqual(['Flag participant']);
  }
});

test('its inputs are the contract\'s: the required ones bound, every attribute of attributes.json given, nothing else', () => {
  for (const call of calls) {
    const action = asNode(asNode(asNode(asNode(call.category)['Participant flagger - Lambda']).dataAction)['Flag participant']);
    const inputs = asNode(action.inputs);
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(input.properties).sort());
    for (const name of input.required) expect(asNode(inputs[name]).noValue).toBeUndefined();
    expect(asNode(inputs.conversationId)).toEqual({ exp: 'Call.ConversationId' });
    for (const attribute of readAttributes()) expect(inputs).toHaveProperty(attribute.name);
    const outputs = asNode(action.successOutputs);
    for (const name of Object.keys(outputs)) expect(output.properties).toHaveProperty(name);
    expect(outputs.status).toEqual({ var: 'Task.FlagStatus' });
  }
});

test('every status has a path: UPDATED transfers with the flag set, four are retried once, the rest fall back', () => {
  const retry = all.find(([kind, body]) => kind === 'decision' && body.name === 'Worth one more try?')?.[1];
  const retried = statusesOf(String(asNode(retry?.condition).exp));
  expect(retried.sort()).toEqual(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'TIMEOUT', 'UPSTREAM_ERROR']);
  // The retry is the second call, inside that decision.
  expect(actions(retry).filter(([kind]) => kind === 'callData')).toHaveLength(1);

  const branch = all.find(([kind, body]) => kind === 'switch' && body.name === 'Flag status')?.[1];
  const firstTrue = asNode(asNode(branch?.evaluate).firstTrue);
  const cases = (firstTrue.cases as unknown[]).map((c) => asNode(asNode(c).case));
  const paths = new Map<string, string>();
  for (const status of [...FLAG_STATUSES, 'ACTION_FAILED', 'ACTION_TIMEOUT', 'NOT_CALLED']) {
    const taken = cases.find((c) => statusesOf(String(asNode(c.value).exp)).includes(status));
    const transfer = actions(taken ? taken.actions : asNode(firstTrue.default).actions).find(([kind]) => kind === 'transferToAcd')?.[1];
    paths.set(status, String(transfer?.name));
  }
  expect(paths.get('UPDATED')).toBe('To an agent, flag set');
  for (const [status, transfer] of paths) if (status !== 'UPDATED') expect({ status, transfer }).toEqual({ status, transfer: 'To an agent, flag missing' });
  // The action's own failure and timeout paths are set, so the branch above sees them.
  for (const call of calls) expect(Object.keys(asNode(call.outputs)).sort()).toEqual(['failure', 'timeout']);
});

test('the processing prompt is audio (a system prompt), not text to speech', () => {
  for (const call of calls) expect(call.processingPrompt).toEqual({ lit: { name: 'PromptSystem.processing' } });
});

test('the timeouts nest: flow > data action > Lambda > the function\'s deadline, all from timeouts.json', () => {
  const template = JSON.parse(read('.serverless/cloudformation-template-update-stack.json')) as { Resources: Record<string, { Type: string; Properties: Node }> };
  const lambda = (name: string) => asNode(template.Resources[name]?.Properties);
  for (const call of calls) expect(call.timeout).toEqual({ lit: { seconds: timeouts.flowTimeoutSeconds } });
  for (const action of [lambdaAction, webhookAction]) expect(action.config.timeoutSeconds).toBe(timeouts.actionTimeoutSeconds);
  expect(read('infra/genesys/main.tf')).toContain('coalesce(var.action_timeout_seconds, local.timeouts.actionTimeoutSeconds)');
  for (const name of ['DataActionLambdaFunction', 'WebhookLambdaFunction']) {
    expect(lambda(name).Timeout).toBe(timeouts.lambdaTimeoutSeconds);
    expect(asNode(asNode(lambda(name).Environment).Variables).FLAG_DEADLINE_MS).toBe(String(timeouts.functionDeadlineMs));
  }
  // The function's own default (used outside Lambda) is the same deadline.
  expect(NUMERIC_SETTINGS.deadlineMs.default).toBe(timeouts.functionDeadlineMs);
  const { flowTimeoutSeconds, actionTimeoutSeconds, lambdaTimeoutSeconds, functionDeadlineMs } = timeouts;
  expect(flowTimeoutSeconds).toBeGreaterThan(actionTimeoutSeconds);
  expect(actionTimeoutSeconds).toBeGreaterThan(lambdaTimeoutSeconds);
  // The deadline leaves Lambda's time for the safety margin and the answer.
  expect(lambdaTimeoutSeconds * 1000).toBeGreaterThanOrEqual(functionDeadlineMs + NUMERIC_SETTINGS.safetyMarginMs.default);
});

test('timeouts that do not nest are refused where they are read', () => {
  const file = path.join(os.tmpdir(), `timeouts-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ functionDeadlineMs: 8000, lambdaTimeoutSeconds: 10, actionTimeoutSeconds: 9, flowTimeoutSeconds: 15 }));
  expect(() => readTimeouts(file)).toThrow('must nest');
});
