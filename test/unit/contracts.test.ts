/**
 * The data action contracts under infra/contracts are what Genesys validates against. They are
 * generated from infra/contracts/attributes.json (npm run contracts); these tests keep them fresh,
 * legal for Genesys, and in agreement with what the function accepts and returns.
 */
import Ajv from 'ajv';
import input from '../../infra/contracts/flag-participant.input.json';
import output from '../../infra/contracts/flag-participant.output.json';
import lambdaAction from '../../infra/genesys/import/flag-participant.lambda-action.template.json';
import webhookAction from '../../infra/genesys/import/flag-participant.webhook-action.json';
import flat from '../../events/identity-verified.json';
import nested from '../../events/identity-verified.nested.json';
import conversationOnly from '../../events/identity-verified.conversation-only.json';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FUNCTION_ARN_PLACEHOLDER,
  READY_LAMBDA_ACTION,
  generatedFiles,
  importableAction,
  parseFunctionArn,
  readAttributes,
  runContracts,
} from '../../scripts/contracts';
import { loadConfig } from '../../lib/config';
import { parseFlagRequest, RESERVED_KEYS } from '../../lib/core/flag-request';
import { CONTRACT } from '../../lib/core/attribute-contract';
import { FLAG_STATUSES, toResult, type FlagOutcome } from '../../lib/core/flag-result';

type Schema = { type: string | string[]; properties?: Record<string, Schema>; $schema?: string };
const GENESYS_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const INPUT_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'null']);
const ROOT = path.resolve(__dirname, '../..');

/** ajv speaks draft-07; the draft-04 keywords the contracts use mean the same there. */
function compile(schema: Schema) {
  const { $schema: _ignored, ...rest } = schema;
  return new Ajv({ strict: false, allErrors: true }).compile(rest);
}

const config = (() => {
  const parsed = loadConfig({ GENESYS_CREDENTIALS_SECRET_ID: 'x' });
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.value;
})();

test('the generated files are up to date with infra/contracts/attributes.json (npm run contracts)', () => {
  for (const [file, content] of Object.entries(generatedFiles())) {
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(content);
  }
});

test('the input contract is flat, with Genesys-legal names, one type per property, and no reserved names', () => {
  for (const [name, schema] of Object.entries((input as Schema).properties ?? {})) {
    expect(name).toMatch(GENESYS_NAME);
    expect(RESERVED_KEYS.has(name)).toBe(false);
    // Every contract in Genesys's samples and provider examples gives a property one type.
    expect(typeof schema.type).toBe('string');
    expect(INPUT_TYPES.has(schema.type as string)).toBe(true);
    expect(schema.properties).toBeUndefined();
  }
  expect(input.required).toEqual(['conversationId']);
  expect(JSON.stringify(input)).not.toContain('$ref');
});

test('every attribute in attributes.json is an input property, and the function sends each one', () => {
  const attributes = readAttributes();
  const event: Record<string, unknown> = { conversationId: flat.conversationId, participantId: flat.participantId };
  for (const a of attributes) {
    expect(input.properties).toHaveProperty(a.name);
    event[a.name] = a.type === 'boolean' ? true : a.type === 'string' ? 'v' : 1;
  }
  expect(compile(input as Schema)(event)).toBe(true);
  const parsed = parseFlagRequest(event, config.limits, 'customer', CONTRACT);
  expect(parsed.ok && Object.keys(parsed.value.attributes)).toEqual(attributes.map((a) => a.name));
});

test('the example events pass the input contract (flat) and the function (all forms)', () => {
  const validate = compile(input as Schema);
  expect(validate(flat)).toBe(true);
  expect(validate(conversationOnly)).toBe(true);
  for (const event of [flat, nested, conversationOnly])
    expect(parseFlagRequest(event, config.limits, 'customer', CONTRACT)).toMatchObject({ ok: true });
  // Optional inputs may be absent; the function also takes null (a flow's unset variable) and "" for them.
  expect(validate({ conversationId: flat.conversationId, risk_level: 'low' })).toBe(true);
  for (const empty of [null, '']) {
    const event = {
      conversationId: flat.conversationId,
      participantId: empty,
      participantPurpose: empty,
      compliance_checked: null,
      risk_level: 'low',
    };
    expect(parseFlagRequest(event, config.limits, 'customer', CONTRACT)).toMatchObject({
      ok: true,
      value: { attributes: { risk_level: 'low' }, participantPurpose: 'customer' },
    });
  }
});

test("the input contract's description says what the function does with unset and empty inputs", () => {
  // A flow author reads this in Genesys: it must be what parseFlagRequest does. Unset (null) is
  // skipped; "" is an empty string and is sent; empty ids mean "look the participant up".
  expect(input.description).toContain(
    'An attribute left unset (null or absent) is skipped; an empty string is set as an empty string.',
  );
  expect(input.description).not.toMatch(/empty[^.;]*skipped/);
  const parsed = parseFlagRequest(
    {
      conversationId: flat.conversationId,
      participantId: '',
      participantPurpose: '',
      compliance_checked: null,
      risk_level: '',
      verification_method: 'kba',
    },
    config.limits,
    'customer',
    CONTRACT,
  );
  expect(parsed).toEqual({
    ok: true,
    value: {
      conversationId: flat.conversationId,
      participantPurpose: 'customer',
      attributes: { risk_level: '', verification_method: 'kba' },
    },
  });
});

test('every status object the function can return passes the output contract', () => {
  const validate = compile(output as Schema);
  const outcomes: FlagOutcome[] = [
    { kind: 'updated' },
    { kind: 'invalid-input', reason: 'r' },
    { kind: 'config', reason: 'r' },
    { kind: 'not-resolved', reason: 'r' },
    { kind: 'rejected', reason: 'r' },
    { kind: 'auth', reason: 'r' },
    { kind: 'throttled', reason: 'r' },
    { kind: 'upstream', reason: 'r' },
    { kind: 'timeout', reason: 'r' },
    { kind: 'internal', reason: 'r' },
  ];
  const seen = new Set<string>();
  for (const outcome of outcomes) {
    for (const facts of [
      { attempts: 0, httpStatus: 0, elapsedMs: 0, requestId: 'req' },
      {
        attempts: 3,
        httpStatus: 404,
        elapsedMs: 812.4,
        requestId: 'req',
        contextId: 'ctx',
        participantId: flat.participantId,
      },
    ]) {
      const result = toResult(outcome, facts);
      seen.add(result.status);
      expect(validate(result)).toBe(true);
    }
  }
  expect([...seen].sort()).toEqual([...FLAG_STATUSES].sort());
  // The contract is flat, closed, and names every status for the flow author.
  expect(Object.values(output.properties).every((p) => ['string', 'integer', 'boolean'].includes(p.type))).toBe(true);
  expect(
    validate({
      ...toResult({ kind: 'updated' }, { attempts: 1, httpStatus: 202, elapsedMs: 1, requestId: 'r' }),
      extra: 1,
    }),
  ).toBe(false);
  expect(output.description).toContain(FLAG_STATUSES.join(', '));
});

test('the importable data actions carry the same contracts and the pass-through templates', () => {
  for (const action of [lambdaAction, webhookAction]) {
    expect(action.contract.input.inputSchema).toEqual(input);
    expect(action.contract.output.successSchema).toEqual(output);
    expect(action).toMatchObject({
      actionType: 'custom',
      secure: false,
      config: {
        request: { requestType: 'POST', requestTemplate: '${input.rawRequest}' },
        response: { successTemplate: '${rawResult}' },
      },
    });
    expect(action.config.timeoutSeconds).toBeGreaterThan(config.deadlineMs / 1000);
  }
  expect(lambdaAction.integrationType).toBe('aws-lambda-data-actions');
  expect(webhookAction.integrationType).toBe('custom-rest-actions');
  expect(webhookAction.config.request.headers).toMatchObject({ Authorization: 'Bearer ${credentials.token}' });
});

describe('the Lambda action: a committed template, and a ready file written with the real ARN', () => {
  const GOOD_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:genesys-participant-flagger-prod-dataAction';
  const run = (argv: string[]) => {
    const lines: { log: string[]; error: string[] } = { log: [], error: [] };
    const code = runContracts(argv, { log: (l) => lines.log.push(l), error: (l) => lines.error.push(l) });
    return { code, ...lines };
  };
  const tmp = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'contracts-')), 'action.json');

  test("the template's request URL is no ARN Genesys or AWS would take, and names the command that writes one", () => {
    const url = lambdaAction.config.request.requestUrlTemplate;
    expect(url).toBe(FUNCTION_ARN_PLACEHOLDER);
    expect(url).not.toMatch(/^arn:/);
    expect(() => parseFunctionArn(url)).toThrow('is not a Lambda function ARN');
    expect(url).toContain('npm run contracts -- --function-arn <DataActionFunctionArn>');
  });

  test.each([
    GOOD_ARN,
    'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f',
    'arn:aws-cn:lambda:cn-northwest-1:123456789012:function:f_1',
    `arn:aws:lambda:ap-southeast-2:123456789012:function:${'f'.repeat(64)}`,
  ])('a function ARN is taken: %s', (arn) => {
    expect(parseFunctionArn(arn)).toBe(arn);
  });

  test.each([
    ['the old placeholder', 'arn:aws:lambda:REGION:ACCOUNT_ID:function:genesys-participant-flagger-STAGE-dataAction'],
    [
      'the invoke role, the other stack output',
      'arn:aws:iam::123456789012:role/genesys-participant-flagger-prod-genesys-invoke',
    ],
    ['a version or alias', `${GOOD_ARN}:prod`],
    ['an 11-digit account', 'arn:aws:lambda:eu-west-1:12345678901:function:f'],
    ['a layer', 'arn:aws:lambda:eu-west-1:123456789012:layer:f'],
    ['no region', 'arn:aws:lambda::123456789012:function:f'],
    ['a name over 64 characters', `arn:aws:lambda:eu-west-1:123456789012:function:${'f'.repeat(65)}`],
    ['a space around it', ` ${GOOD_ARN}`],
    ['a function name alone', 'genesys-participant-flagger-prod-dataAction'],
  ])('anything else is refused, nothing written: %s', (_what, arn) => {
    const out = tmp();
    const result = run(['--function-arn', arn, '--out', out]);
    expect(result).toEqual({
      code: 2,
      log: [],
      error: [expect.stringContaining(`${JSON.stringify(arn)} is not a Lambda function ARN`)],
    });
    expect(existsSync(out)).toBe(false);
  });

  test('--function-arn writes the template with the ARN in place, and nothing else changed', () => {
    const out = tmp();
    expect(run([`--function-arn=${GOOD_ARN}`, '--out', out])).toEqual({
      code: 0,
      log: [expect.stringContaining(`wrote ${out}`)],
      error: [],
    });
    const ready = JSON.parse(readFileSync(out, 'utf8')) as typeof lambdaAction;
    expect(ready.config.request.requestUrlTemplate).toBe(GOOD_ARN);
    expect({
      ...ready,
      config: { ...ready.config, request: { ...ready.config.request, requestUrlTemplate: FUNCTION_ARN_PLACEHOLDER } },
    }).toEqual(lambdaAction);
    expect(readFileSync(out, 'utf8')).toBe(
      `${JSON.stringify(importableAction('lambda', readAttributes(), undefined, GOOD_ARN), null, 2)}\n`,
    );
  });

  test('by default it writes under dist/, which git ignores, never into the committed files', () => {
    expect(READY_LAMBDA_ACTION.startsWith('dist/')).toBe(true);
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
    for (const out of ['infra/genesys/import/flag-participant.lambda-action.template.json', 'infra/elsewhere.json']) {
      expect(run(['--function-arn', GOOD_ARN, '--out', path.join(ROOT, out)])).toEqual({
        code: 2,
        log: [],
        error: [expect.stringContaining('is inside infra/')],
      });
    }
  });

  test('the command line refuses what it does not know, and --check still checks', () => {
    expect(run(['--out', tmp()]).error).toEqual(['--out goes with --function-arn']);
    expect(run(['--function-arn']).error).toEqual(['--function-arn needs a value']);
    expect(run(['--check', '--function-arn', GOOD_ARN]).error).toEqual([
      '--check and --function-arn do not go together',
    ]);
    expect(run(['--functionarn', GOOD_ARN]).error).toEqual([
      expect.stringContaining('unknown argument "--functionarn"'),
    ]);
    expect(run(['--check'])).toEqual({ code: 0, log: ['contracts are up to date'], error: [] });
  });

  test('npm run contracts hands the flag over, and a refusal exits non-zero', () => {
    const cli = spawnSync(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/contracts.ts', '--function-arn', 'arn:aws:iam::123456789012:role/x'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect({ status: cli.status, stdout: cli.stdout }).toEqual({ status: 2, stdout: '' });
    expect(cli.stderr).toContain('"arn:aws:iam::123456789012:role/x" is not a Lambda function ARN');
  });
});

test('the Terraform reads the same contract files', () => {
  const main = readFileSync(path.join(ROOT, 'infra/genesys/main.tf'), 'utf8');
  expect(main).toContain('../contracts/flag-participant.input.json');
  expect(main).toContain('../contracts/flag-participant.output.json');
  expect(main).toContain('integration_type = "aws-lambda-data-actions"');
  expect(main).toContain('credential_type_name = "amazonWebServicesARN"');
  expect(main).toContain('success_template         = "$${rawResult}"');
});

test('the dashboard knows every status', () => {
  const { STATUSES } = require('../../infra/aws/dashboard.js') as { STATUSES: string[] };
  expect(STATUSES).toEqual([...FLAG_STATUSES]);
});
