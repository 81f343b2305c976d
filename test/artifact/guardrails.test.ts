/**
 * The stack's parameters and the guardrails they switch on, read from the rendered CloudFormation
 * template. Each guardrail is asserted left empty (a deployer who sets none of them), set alone
 * (only the resources and properties it is for change, nothing else) and all set at once
 * (infra/aws/guardrails.params.json, the values `npm run lint:infra` also runs cfn-lint with).
 * Conditions, `Fn::If`, `Ref`s to parameters, `AWS::NoValue` and the template's Rules are resolved
 * here as CloudFormation would; other intrinsics stay as they are.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config';

const ROOT = path.resolve(__dirname, '../..');
type Json = unknown;
type Resource = {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties: Record<string, Json>;
};
interface Parameter {
  Type: string;
  Default?: string | number;
  AllowedPattern?: string;
  AllowedValues?: string[];
  MinValue?: number;
  MaxValue?: number;
}
interface Template {
  Parameters: Record<string, Parameter>;
  Conditions: Record<string, Json>;
  Rules?: Record<string, { RuleCondition?: Json; Assertions: { Assert: Json; AssertDescription: string }[] }>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Condition?: string; Value: Json }>;
}
type Values = Record<string, string | string[]>;

const TEMPLATE = JSON.parse(
  readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8'),
) as Template;
const raw = (): Template => structuredClone(TEMPLATE);
const GUARDRAILS: Values = Object.fromEntries(
  (
    JSON.parse(readFileSync(path.join(ROOT, 'infra/aws/guardrails.params.json'), 'utf8')) as {
      ParameterKey: string;
      ParameterValue: string | string[];
    }[]
  ).map((p) => [p.ParameterKey, p.ParameterValue]),
);
const NO_VALUE = Symbol('AWS::NoValue');

/** Parameter values as CloudFormation hands them to the template: defaults filled in, lists split. */
function parameterValues(values: Values): Record<string, Json> {
  const params: Record<string, Json> = {};
  for (const [name, p] of Object.entries(TEMPLATE.Parameters)) {
    const given = values[name] ?? (p.Default === undefined ? '' : String(p.Default));
    params[name] =
      p.Type === 'CommaDelimitedList'
        ? Array.isArray(given)
          ? given
          : String(given) === ''
            ? ['']
            : String(given).split(',')
        : given;
  }
  return params;
}

/** The template as CloudFormation would see it with these parameter values. */
function resolve(values: Values): Record<string, Resource> {
  const template = raw();
  const params = parameterValues(values);
  const conditions: Record<string, boolean> = {};
  const condition = (name: string): boolean => (conditions[name] ??= truth(template.Conditions[name]));
  function truth(expr: Json): boolean {
    const e = expr as Record<string, Json[]> & { Condition?: string };
    if (e.Condition) return condition(e.Condition);
    if (e['Fn::Equals']) return JSON.stringify(walk(e['Fn::Equals'][0])) === JSON.stringify(walk(e['Fn::Equals'][1]));
    if (e['Fn::Not']) return !truth(e['Fn::Not'][0]);
    if (e['Fn::And']) return e['Fn::And'].every(truth);
    if (e['Fn::Or']) return e['Fn::Or'].some(truth);
    throw new Error(`condition not understood: ${JSON.stringify(expr)}`);
  }
  function walk(node: Json): Json | typeof NO_VALUE {
    if (Array.isArray(node)) return node.map(walk).filter((v) => v !== NO_VALUE);
    if (typeof node !== 'object' || node === null) return node;
    const o = node as Record<string, Json>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'Ref') {
      if (o.Ref === 'AWS::NoValue') return NO_VALUE;
      if (typeof o.Ref === 'string' && o.Ref in params) return params[o.Ref];
      return o;
    }
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const [name, yes, no] = o['Fn::If'] as [string, Json, Json];
      return walk(condition(name) ? yes : no);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = o['Fn::Join'] as [string, Json];
      const list = walk(parts);
      if (Array.isArray(list) && list.every((x) => typeof x === 'string')) return list.join(sep);
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(o)) {
      const w = walk(v);
      if (w !== NO_VALUE) out[k] = w;
    }
    return out;
  }
  const resources: Record<string, Resource> = {};
  for (const [name, r] of Object.entries(template.Resources)) {
    if (r.Condition && !condition(r.Condition)) continue;
    resources[name] = walk(r) as Resource;
  }
  return resources;
}

/** The AssertDescription of every Rules assertion that these parameter values break. */
function brokenRules(values: Values): string[] {
  const params = parameterValues(values);
  function value(node: Json): Json {
    const o = node as Record<string, Json[]> & { Ref?: string };
    if (typeof node !== 'object' || node === null) return node;
    if (o.Ref !== undefined) {
      if (!(o.Ref in params)) throw new Error(`rule refers to an unknown parameter: ${o.Ref}`);
      return params[o.Ref];
    }
    if (o['Fn::Not']) return !value(o['Fn::Not'][0]);
    if (o['Fn::And']) return o['Fn::And'].every((x) => value(x) === true);
    if (o['Fn::Or']) return o['Fn::Or'].some((x) => value(x) === true);
    if (o['Fn::Equals']) return JSON.stringify(value(o['Fn::Equals'][0])) === JSON.stringify(value(o['Fn::Equals'][1]));
    if (o['Fn::EachMemberEquals']) {
      const [list, member] = o['Fn::EachMemberEquals'].map(value) as [string[], string];
      return list.every((m) => m === member);
    }
    if (o['Fn::Contains']) {
      const [list, member] = o['Fn::Contains'].map(value) as [string[], string];
      return list.includes(member);
    }
    throw new Error(`rule function not understood: ${JSON.stringify(node)}`);
  }
  const broken: string[] = [];
  for (const rule of Object.values(TEMPLATE.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && value(rule.RuleCondition) !== true) continue;
    for (const a of rule.Assertions) if (value(a.Assert) !== true) broken.push(a.AssertDescription);
  }
  return broken;
}

/** Paths (`Resource.Properties.…`) where two resolved templates differ; arrays are compared whole. */
function changedPaths(before: Json, after: Json, at = ''): string[] {
  const isObject = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObject(before) && isObject(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((k) =>
      changedPaths(before[k], after[k], at ? `${at}.${k}` : k),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [at];
}

const ORG = { GenesysOrgId: '0f8b2f0e-3c1a-4d5e-9f70-1a2b3c4d5e6f' };
const DEFAULTS = resolve(ORG);
const SET = resolve(GUARDRAILS);
const FUNCTIONS = [
  'DataActionLambdaFunction',
  'EventsLambdaFunction',
  'WebhookLambdaFunction',
  'AuthorizerLambdaFunction',
  'RotateTokenLambdaFunction',
];
const ROLES = ['DataActionRole', 'EventsRole', 'WebhookRole', 'AuthorizerRole', 'RotateTokenRole'];
/** The roles of functions that exist whatever the token mode. */
const ALWAYS_ROLES = ROLES.filter((r) => r !== 'RotateTokenRole');
const LOG_GROUPS = [
  'DataActionLogGroup',
  'EventsLogGroup',
  'WebhookLogGroup',
  'AuthorizerLogGroup',
  'RotateTokenLogGroup',
  'HttpApiLogGroup',
];
const QUEUES = ['IdentityVerifiedQueue', 'IdentityVerifiedDLQ', 'IdentityVerifiedRuleDLQ'];
/**
 * What exists only in token mode: the rotation function and all osls generates for it, its role,
 * the secret and what uses it.
 */
const ROTATION_RESOURCES = Object.keys(TEMPLATE.Resources).filter((id) => id.startsWith('RotateToken'));
const props = (r: Record<string, Resource>, name: string): Record<string, Json> => r[name]?.Properties ?? {};
type Statement = { Effect: string; Action: string | string[]; Resource: Json; Condition?: Json };
const statementsOf = (r: Record<string, Resource>, role: string): Statement[] =>
  ((props(r, role).Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const kmsStatements = (r: Record<string, Resource>, role: string) =>
  statementsOf(r, role).filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
const env = (r: Record<string, Resource>, fn: string) =>
  (props(r, fn).Environment as { Variables: Record<string, Json> }).Variables;
const KEY = GUARDRAILS.KmsKeyArn as string;
/** The EC2 actions of AWSLambdaVPCAccessExecutionRole (v3), without its logs actions on every log group. */
const VPC_STATEMENT = {
  Effect: 'Allow',
  Action: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  Resource: '*',
};
const vpcStatements = (r: Record<string, Resource>, role: string) =>
  statementsOf(r, role).filter((s) => [s.Action].flat().some((a) => a.startsWith('ec2:')));
const XRAY_POLICY = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess' };
const via = (service: string) => ({
  StringEquals: { 'kms:ViaService': { 'Fn::Sub': `${service}.\${AWS::Region}.amazonaws.com` } },
});
const each = (names: string[], suffix: string): string[] => names.map((n) => `${n}.${suffix}`);
const TOKEN_MODE_PATHS = [
  'GenesysTokenSecret',
  'GenesysTokenSecretPolicy',
  'GenesysTokenRotation',
  'TokenRotationFailedAlarm',
  // Pacing shares the one token; a token per container needs none.
  'EventsLambdaFunction.Properties.Environment.Variables.BATCH_START_INTERVAL_MS',
  ...ROTATION_RESOURCES,
  ...each(
    ['DataActionLambdaFunction', 'EventsLambdaFunction', 'WebhookLambdaFunction', 'AuthorizerLambdaFunction'],
    'Properties.Environment.Variables.GENESYS_TOKEN_SECRET_ID',
  ),
  ...each(['DataActionRole', 'EventsRole', 'WebhookRole'], 'Properties.Policies'),
];

// ----- who may flag: the statements of the bus, queue and secret policies, as CloudFormation resolves them -----
const BUS_ARN = {
  'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/genesys-participant-flagger-dev',
};
const RULE_ARN = { 'Fn::GetAtt': ['IdentityVerifiedRule', 'Arn'] };
const QUEUE_ARN = { 'Fn::GetAtt': ['IdentityVerifiedQueue', 'Arn'] };
const INSECURE = { Bool: { 'aws:SecureTransport': 'false' } };
const tlsOnly = (resource: Json) => ({
  Sid: 'TlsOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sqs:*',
  Resource: resource,
  Condition: INSECURE,
});
type PolicyStatement = Record<string, Json>;
const busStatements = (r: Record<string, Resource>) =>
  (props(r, 'FlaggerEventBus').Policy as { Statement: PolicyStatement[] }).Statement;
/** No producer named: every principal is denied PutEvents, unconditionally. */
const BUS_DENY_ALL = {
  Sid: 'NobodyElsePutsEvents',
  Effect: 'Deny',
  Principal: '*',
  Action: 'events:PutEvents',
  Resource: BUS_ARN,
};
const busStatementsFor = (producers: string[], sources: string[]) => [
  {
    Sid: 'NamedProducersPutIdentityVerifiedEvents',
    Effect: 'Allow',
    Principal: { AWS: producers },
    Action: 'events:PutEvents',
    Resource: BUS_ARN,
    Condition: { 'ForAllValues:StringEquals': { 'events:source': sources } },
  },
  { ...BUS_DENY_ALL, Condition: { ArnNotEquals: { 'aws:PrincipalArn': producers } } },
];
const policyStatements = (r: Record<string, Resource>, policy: string) =>
  (props(r, policy).PolicyDocument as { Statement: PolicyStatement[] }).Statement;
const queueStatements = (r: Record<string, Resource>) => policyStatements(r, 'IdentityVerifiedQueuePolicy');
const RULE_SENDS = {
  Sid: 'TheRuleSendsIdentityVerifiedEvents',
  Effect: 'Allow',
  Principal: { Service: 'events.amazonaws.com' },
  Action: 'sqs:SendMessage',
  Resource: QUEUE_ARN,
  Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
};
/** The queue's statements: the rule may send, the named senders may, everyone else is denied; TLS only. */
const queueStatementsFor = (senders: string[]) => [
  RULE_SENDS,
  ...(senders.length > 0
    ? [
        {
          Sid: 'NamedSendersSendDirectly',
          Effect: 'Allow',
          Principal: { AWS: senders },
          Action: 'sqs:SendMessage',
          Resource: QUEUE_ARN,
        },
      ]
    : []),
  {
    Sid: 'NobodyElseSends',
    Effect: 'Deny',
    Principal: '*',
    Action: 'sqs:SendMessage',
    Resource: QUEUE_ARN,
    Condition: {
      ArnNotEquals: { 'aws:SourceArn': RULE_ARN, ...(senders.length > 0 ? { 'aws:PrincipalArn': senders } : {}) },
    },
  },
  tlsOnly(QUEUE_ARN),
];
const STACK_TOKEN_READERS = ['DataActionRole', 'EventsRole', 'WebhookRole', 'RotateTokenRole'].map((role) => ({
  'Fn::GetAtt': [role, 'Arn'],
}));
const secretPolicyStatements = (r: Record<string, Resource>) =>
  (props(r, 'GenesysTokenSecretPolicy').ResourcePolicy as { Statement: PolicyStatement[] }).Statement;
const secretPolicyPrincipals = (r: Record<string, Resource>) =>
  ((secretPolicyStatements(r)[0]?.Condition ?? {}) as { ArnNotEquals: { 'aws:PrincipalArn': Json[] } }).ArnNotEquals[
    'aws:PrincipalArn'
  ];

describe('parameters', () => {
  const stackParameters = (
    parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
      provider: { stackParameters: { ParameterKey: string; ParameterValue: string }[] };
    }
  ).provider.stackParameters.map(({ ParameterKey, ParameterValue }) => {
    const m = /^\$\{param:(\w+), '([^']*)'\}$/.exec(ParameterValue);
    if (!m) throw new Error(`${ParameterKey}: stack parameter value not understood: ${ParameterValue}`);
    return { key: ParameterKey, param: m[1] as string, fallback: m[2] as string };
  });

  test("every template parameter is a stack parameter whose --param default is the template's default", () => {
    expect(stackParameters.map((p) => p.key).sort()).toEqual(Object.keys(TEMPLATE.Parameters).sort());
    for (const { key, fallback } of stackParameters) {
      const { Default } = TEMPLATE.Parameters[key] as Parameter;
      expect({ key, default: Default === undefined ? '' : String(Default) }).toEqual({ key, default: fallback });
    }
  });

  test("every parameter is in docs/deploy.md's table, with its default, and the table names no other", () => {
    const deploy = readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
    const start = deploy.indexOf('| parameter | default | what |');
    expect(start).toBeGreaterThan(-1);
    const rows = deploy
      .slice(start)
      .split('\n')
      .slice(2)
      .filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')))
      .map((l) => l.split('|').map((c) => c.trim()));
    const documented = new Map<string, string>();
    for (const [, names = '', fallback = ''] of rows)
      for (const [, name] of names.matchAll(/`([^`]+)`/g)) documented.set(name as string, fallback);
    for (const { param, fallback } of stackParameters) {
      expect({ param, documented: documented.has(param) }).toEqual({ param, documented: true });
      if (fallback !== '')
        expect({ param, default: documented.get(param) }).toEqual({
          param,
          default: expect.stringContaining(`\`${fallback}\``),
        });
    }
    expect([...documented.keys()].filter((n) => n !== '--stage').sort()).toEqual(
      stackParameters.map((p) => p.param).sort(),
    );
  });

  test("the README's guardrail table names every parameter that is not in its deploy command", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Deploy, in brief'), readme.indexOf('## More'));
    const basics = [
      'genesysOrgId',
      'genesysAwsAccountId',
      'credentialsSecretArn',
      'webhookTokenSecretArn',
      'alarmEmail',
      'tokenMode',
    ];
    const guardrails = stackParameters.map((p) => p.param).filter((name) => !basics.includes(name));
    expect(guardrails.length).toBeGreaterThan(8);
    expect(guardrails.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });

  /**
   * Whether CloudFormation takes `value` for the parameter (AllowedValues, AllowedPattern, MinValue,
   * MaxValue). A CommaDelimitedList's pattern must match each value of the list (CloudFormation's
   * parameter reference).
   */
  const accepts = (name: string, value: string): boolean => {
    const p = TEMPLATE.Parameters[name] as Parameter;
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(value)) return false;
    const values = p.Type === 'CommaDelimitedList' ? value.split(',') : [value];
    if (p.AllowedPattern !== undefined && !values.every((v) => new RegExp(p.AllowedPattern ?? '').test(v)))
      return false;
    if (p.Type === 'Number') {
      if (!/^-?\d+(\.\d+)?$/.test(value)) return false;
      if (p.MinValue !== undefined && Number(value) < p.MinValue) return false;
      if (p.MaxValue !== undefined && Number(value) > p.MaxValue) return false;
    }
    return true;
  };

  test.each<[string, string[], string[]]>([
    ['GenesysOrgId', ['0f8b2f0e-3c1a-4d5e-9f70-1a2b3c4d5e6f'], ['', 'my-org', '0f8b2f0e-3c1a-4d5e-9f70-1a2b3c4d5e6']],
    ['GenesysAwsAccountId', ['765628985471'], ['', '76562898547', 'genesys']],
    [
      'CredentialsSecretArn',
      ['', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:genesys-participant-flagger/prod/credentials-AbC123'],
      [
        'genesys-participant-flagger/prod/credentials',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:genesys-participant-flagger/prod/credentials',
      ],
    ],
    [
      'WebhookTokenSecretArn',
      [
        '',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:genesys-participant-flagger/prod/webhook-token-x9Y8z7',
      ],
      ['webhook-token', 'arn:aws:kms:eu-west-1:123456789012:key/abc'],
    ],
    ['AlarmEmail', ['', 'oncall@example.com'], ['oncall', 'oncall@', 'a b@example.com']],
    ['TokenMode', ['true', 'false'], ['', 'yes', 'TRUE']],
    ['Tracing', ['true', 'false'], ['', 'on']],
    ['QueueMaxConcurrency', ['2', '5', '1000'], ['0', '1', '1001', '']],
    ['WebhookRateLimit', ['1', '2', '20'], ['0', '-1', '']],
    ['WebhookBurstLimit', ['1', '5', '40'], ['0', '']],
    // 0 would throttle every caller on hold.
    ['DataActionReservedConcurrency', ['', '1', '20', '900'], ['0', '00', '01', '-1', '1.5', 'ten']],
    ['KmsKeyArn', ['', KEY], ['alias/aws/secretsmanager', 'arn:aws:kms:us-east-1:123456789012:alias/mine']],
    [
      'PermissionsBoundaryArn',
      ['', 'arn:aws:iam::123456789012:policy/org-boundary'],
      ['org-boundary', 'arn:aws:iam::123456789012:role/x'],
    ],
    // Only http://: the code refuses anything else (see the next test).
    [
      'GenesysProxyUrl',
      ['', 'http://proxy.internal:3128', 'http://10.0.0.1:8080', 'http://proxy', 'http://proxy:3128/'],
      [
        'https://proxy.internal:3128',
        'socks5://proxy:1080',
        'http://user:pw@proxy:3128',
        'http://proxy:3128/path',
        'http://proxy:3128?x=1',
        'http://proxy:99999',
        'http://10.0.0.300',
        'proxy:3128',
      ],
    ],
    // Exact sources: a wildcard or a blank would widen what the rule matches.
    [
      'EventSources',
      ['', 'acme.idv', 'acme.idv,acme.kyc', 'com.example/idv-2'],
      ['*', 'acme.*', ' acme', 'a b', '.idv', 'acme.idv,*'],
    ],
    // Principals by exact role or user ARN, any account; no wildcard, no account root, no session.
    [
      'EventProducerArns',
      [
        '',
        'arn:aws:iam::123456789012:role/idv',
        'arn:aws:iam::123456789012:role/path/idv,arn:aws:iam::210987654321:user/bot',
      ],
      [
        '*',
        'arn:aws:iam::123456789012:role/*',
        'arn:aws:iam::123456789012:root',
        '123456789012',
        'arn:aws:sts::123456789012:assumed-role/idv/session',
        'arn:aws:iam::123456789012:role/idv,*',
      ],
    ],
    [
      'QueueSenderArns',
      ['', 'arn:aws:iam::123456789012:role/ops', 'arn:aws-us-gov:iam::123456789012:role/ops'],
      ['arn:aws:iam::*:role/ops', 'arn:aws:iam::123456789012:group/ops', 'ops'],
    ],
    [
      'BreakGlassRoleArn',
      ['', 'arn:aws:iam::123456789012:role/break-glass'],
      [
        'arn:aws:iam::123456789012:user/break-glass',
        'break-glass',
        'arn:aws:iam::123456789012:role/*',
        'arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/b',
      ],
    ],
    // The values CloudWatch Logs takes, from a day to ten years.
    ['LogRetentionDays', ['1', '365', '2557', '3653'], ['0', '10', '364', '3650', '']],
  ])('%s: its constraint takes %p and refuses %p', (name, good, bad) => {
    for (const value of good)
      expect({ name, value, accepted: accepts(name, value) }).toEqual({ name, value, accepted: true });
    for (const value of bad)
      expect({ name, value, accepted: accepts(name, value) }).toEqual({ name, value, accepted: false });
  });

  test('every parameter has a constraint but the two subnet and security group lists', () => {
    const free = Object.entries(TEMPLATE.Parameters)
      .filter(([, p]) => !p.AllowedPattern && !p.AllowedValues && p.MinValue === undefined)
      .map(([name]) => name);
    expect(free.sort()).toEqual(['SecurityGroupIds', 'SubnetIds']);
  });

  test(
    'GenesysProxyUrl: the template takes only proxy URLs the function accepts, ' + 'so none deploys to a CONFIG_ERROR',
    () => {
      const candidates = [
        'http://proxy.internal:3128',
        'http://proxy',
        'http://proxy:3128/',
        'http://10.0.0.1:8080',
        'http://my_proxy.corp:1',
        'http://a.b.c:65535',
        'https://proxy.internal:3128',
        'HTTP://proxy:3128',
        'http://proxy:0',
        'http://proxy:65536',
        'http://proxy.:3128',
        'http://proxy..internal',
        'http://1.2.3.999',
        'http://proxy.0x1f',
        'http://[::1]:3128',
        'http://pro xy:3128',
        'http://proxy:3128#x',
        'http://:3128',
        'http://',
      ];
      const taken = candidates.filter((url) => url !== '' && accepts('GenesysProxyUrl', url));
      expect(taken.length).toBeGreaterThanOrEqual(6);
      for (const url of taken) {
        const parsed = loadConfig({ GENESYS_CREDENTIALS_SECRET_ID: 'x', GENESYS_HTTPS_PROXY: url });
        expect({ url, ok: parsed.ok }).toEqual({ url, ok: true });
      }
    },
  );
});

describe('rules: the stack refuses half a VPC', () => {
  const subnets = GUARDRAILS.SubnetIds as string[];
  const groups = GUARDRAILS.SecurityGroupIds as string[];

  test('neither list, or both, is accepted; so is every guardrail set', () => {
    expect(brokenRules(ORG)).toEqual([]);
    expect(brokenRules({ ...ORG, SubnetIds: subnets, SecurityGroupIds: groups })).toEqual([]);
    expect(brokenRules(GUARDRAILS)).toEqual([]);
  });

  test('event producers without the sources they send are refused (their events would match nothing)', () => {
    const producers = GUARDRAILS.EventProducerArns as string[];
    expect(brokenRules({ ...ORG, EventProducerArns: producers })).toEqual([
      expect.stringContaining('EventSources must name the sources'),
    ]);
    expect(
      brokenRules({ ...ORG, EventProducerArns: producers, EventSources: GUARDRAILS.EventSources as string[] }),
    ).toEqual([]);
    expect(brokenRules({ ...ORG, EventSources: GUARDRAILS.EventSources as string[] })).toEqual([]);
  });

  test('subnets without security groups, or security groups without subnets, is refused', () => {
    expect(brokenRules({ ...ORG, SubnetIds: subnets })).toEqual([
      expect.stringContaining('SecurityGroupIds must be set'),
    ]);
    expect(brokenRules({ ...ORG, SubnetIds: 'subnet-0a1b2c3d4e5f60718' })).toEqual([
      expect.stringContaining('SecurityGroupIds must be set'),
    ]);
    expect(brokenRules({ ...ORG, SecurityGroupIds: groups })).toEqual([
      expect.stringContaining('SubnetIds must be set'),
    ]);
  });
});

describe('the caller on hold comes first', () => {
  test('the queue door drains a backlog at most 5 batches at a time, or as set', () => {
    const mapping = (r: Record<string, Resource>) =>
      props(r, 'EventsEventSourceMappingSQSIdentityVerifiedQueue').ScalingConfig;
    expect(mapping(DEFAULTS)).toEqual({ MaximumConcurrency: '5' });
    expect(mapping(SET)).toEqual({ MaximumConcurrency: '3' });
  });

  test(
    'API Gateway throttles the webhook at 2 requests a second ' +
      '(bursts of 5, its share of the one token), or as set',
    () => {
      const stage = (r: Record<string, Resource>) => props(r, 'HttpApiStage').DefaultRouteSettings;
      expect(stage(DEFAULTS)).toMatchObject({ ThrottlingRateLimit: '2', ThrottlingBurstLimit: '5' });
      expect(stage(SET)).toMatchObject({ ThrottlingRateLimit: '1', ThrottlingBurstLimit: '3' });
    },
  );

  test('reserved concurrency for the data action: off by default, the given slots when set', () => {
    expect(props(DEFAULTS, 'DataActionLambdaFunction')).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(props(SET, 'DataActionLambdaFunction').ReservedConcurrentExecutions).toBe('20');
    for (const fn of FUNCTIONS.slice(1)) expect(props(SET, fn)).not.toHaveProperty('ReservedConcurrentExecutions');
  });
});

describe('each guardrail alone changes only what it is for', () => {
  const SUBNETS = GUARDRAILS.SubnetIds as string[];
  const GROUPS = GUARDRAILS.SecurityGroupIds as string[];
  const BOUNDARY = GUARDRAILS.PermissionsBoundaryArn as string;
  const PROXY = GUARDRAILS.GenesysProxyUrl as string;
  const SOURCES = GUARDRAILS.EventSources as string[];
  const PRODUCERS = GUARDRAILS.EventProducerArns as string[];
  const SENDERS = GUARDRAILS.QueueSenderArns as string[];
  const BREAK_GLASS = GUARDRAILS.BreakGlassRoleArn as string;
  const ROWS: { name: string; values: Values; changes: string[]; check: (r: Record<string, Resource>) => void }[] = [
    {
      name: 'VPC only',
      values: { SubnetIds: SUBNETS, SecurityGroupIds: GROUPS },
      changes: [...each(FUNCTIONS, 'Properties.VpcConfig'), ...each(ROLES, 'Properties.Policies')],
      check: (r) => {
        for (const fn of FUNCTIONS)
          expect(props(r, fn).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: GROUPS });
        // The network-interface actions inline, and no managed policy: none with logs:* on every group.
        for (const role of ROLES) {
          expect(vpcStatements(r, role)).toEqual([VPC_STATEMENT]);
          expect(props(r, role).ManagedPolicyArns).toEqual([]);
        }
      },
    },
    {
      name: 'tracing only',
      values: { Tracing: 'true' },
      changes: [...each(FUNCTIONS, 'Properties.TracingConfig'), ...each(ROLES, 'Properties.ManagedPolicyArns')],
      check: (r) => {
        for (const fn of FUNCTIONS) expect(props(r, fn).TracingConfig).toEqual({ Mode: 'Active' });
        for (const role of ROLES) expect(props(r, role).ManagedPolicyArns).toEqual([XRAY_POLICY]);
      },
    },
    {
      name: 'KMS key only (token mode, the default)',
      values: { KmsKeyArn: KEY },
      changes: [
        ...each(QUEUES, 'Properties.SqsManagedSseEnabled'),
        ...each(QUEUES, 'Properties.KmsMasterKeyId'),
        ...each(LOG_GROUPS, 'Properties.KmsKeyId'),
        ...each(ROLES, 'Properties.Policies'),
        'AlarmTopic.Properties.KmsMasterKeyId',
        'GenesysTokenSecret.Properties.KmsKeyId',
      ],
      check: (r) => {
        for (const queue of QUEUES) expect(props(r, queue)).toMatchObject({ KmsMasterKeyId: KEY });
        for (const group of LOG_GROUPS) expect(props(r, group).KmsKeyId).toBe(KEY);
        expect(props(r, 'GenesysTokenSecret').KmsKeyId).toBe(KEY);
        expect(kmsStatements(r, 'DataActionRole')).toEqual([
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') },
        ]);
        expect(kmsStatements(r, 'RotateTokenRole')).toEqual([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: KEY,
            Condition: via('secretsmanager'),
          },
        ]);
      },
    },
    {
      name: 'KMS key with a token per container',
      values: { KmsKeyArn: KEY, TokenMode: 'false' },
      changes: [
        ...each(QUEUES, 'Properties.SqsManagedSseEnabled'),
        ...each(QUEUES, 'Properties.KmsMasterKeyId'),
        ...each(
          LOG_GROUPS.filter((g) => g !== 'RotateTokenLogGroup'),
          'Properties.KmsKeyId',
        ),
        'AlarmTopic.Properties.KmsMasterKeyId',
        ...each(['AuthorizerRole'], 'Properties.Policies'),
        ...TOKEN_MODE_PATHS,
      ],
      check: (r) => {
        // No token secret to encrypt; the flagging functions read the credentials through the key.
        expect(r).not.toHaveProperty('GenesysTokenSecret');
        expect(kmsStatements(r, 'DataActionRole')).toEqual([
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') },
        ]);
      },
    },
    {
      name: 'a token per container (tokenMode=false) without a KMS key',
      values: { TokenMode: 'false' },
      changes: TOKEN_MODE_PATHS,
      check: (r) => {
        expect(r).not.toHaveProperty('GenesysTokenSecret');
        expect(r).not.toHaveProperty('GenesysTokenRotation');
        // Nothing of the rotation is deployed when nothing rotates: function, versions, log group, role, permission.
        expect(ROTATION_RESOURCES.length).toBeGreaterThanOrEqual(5);
        for (const id of ROTATION_RESOURCES) expect(r).not.toHaveProperty(id);
        for (const role of ALWAYS_ROLES) expect(kmsStatements(r, role)).toEqual([]);
        for (const fn of FUNCTIONS.filter((f) => f in r))
          expect(env(r, fn)).not.toHaveProperty('GENESYS_TOKEN_SECRET_ID');
        // Each flagging function may read the credentials secret, and nothing else.
        expect(
          statementsOf(r, 'DataActionRole').filter((s) => s.Action === 'secretsmanager:GetSecretValue'),
        ).toHaveLength(1);
      },
    },
    {
      name: 'permissions boundary only',
      values: { PermissionsBoundaryArn: BOUNDARY },
      changes: [...each([...ROLES, 'GenesysInvokeRole'], 'Properties.PermissionsBoundary')],
      check: (r) => {
        for (const role of [...ROLES, 'GenesysInvokeRole']) expect(props(r, role).PermissionsBoundary).toBe(BOUNDARY);
      },
    },
    {
      name: 'event sources only: the rule is enabled for them, the queue door takes their envelopes',
      values: { EventSources: SOURCES },
      changes: [
        'IdentityVerifiedRule.Properties.State',
        'IdentityVerifiedRule.Properties.EventPattern.source',
        'EventsLambdaFunction.Properties.Environment.Variables.EVENT_SOURCES',
      ],
      check: (r) => {
        expect(props(r, 'IdentityVerifiedRule')).toMatchObject({
          State: 'ENABLED',
          EventPattern: { source: SOURCES, 'detail-type': ['Identity Verified'] },
        });
        expect(env(r, 'EventsLambdaFunction').EVENT_SOURCES).toBe(SOURCES.join(','));
        // Still nobody may put an event on the bus.
        expect(busStatements(r)).toEqual([BUS_DENY_ALL]);
      },
    },
    {
      name: 'event producers (with their sources): allowed on the bus, everyone else denied',
      values: { EventSources: SOURCES, EventProducerArns: PRODUCERS },
      changes: [
        'IdentityVerifiedRule.Properties.State',
        'IdentityVerifiedRule.Properties.EventPattern.source',
        'EventsLambdaFunction.Properties.Environment.Variables.EVENT_SOURCES',
        'FlaggerEventBus.Properties.Policy.Statement',
      ],
      check: (r) => expect(busStatements(r)).toEqual(busStatementsFor(PRODUCERS, SOURCES)),
    },
    {
      name: 'queue senders only: allowed to send, plain bodies taken',
      values: { QueueSenderArns: SENDERS },
      changes: [
        'IdentityVerifiedQueuePolicy.Properties.PolicyDocument.Statement',
        'EventsLambdaFunction.Properties.Environment.Variables.QUEUE_ACCEPTS',
      ],
      check: (r) => {
        expect(queueStatements(r)).toEqual(queueStatementsFor(SENDERS));
        expect(env(r, 'EventsLambdaFunction').QUEUE_ACCEPTS).toBe('eventbridge,plain');
      },
    },
    {
      name: 'break-glass role only: it may read the token secret too',
      values: { BreakGlassRoleArn: BREAK_GLASS },
      changes: ['GenesysTokenSecretPolicy.Properties.ResourcePolicy.Statement'],
      check: (r) => expect(secretPolicyPrincipals(r)).toEqual([...STACK_TOKEN_READERS, BREAK_GLASS]),
    },
    {
      name: 'log retention only',
      values: { LogRetentionDays: '2557' },
      changes: each(LOG_GROUPS, 'Properties.RetentionInDays'),
      check: (r) => {
        for (const group of LOG_GROUPS) expect(props(r, group).RetentionInDays).toBe('2557');
      },
    },
    {
      name: 'egress proxy only',
      values: { GenesysProxyUrl: PROXY },
      changes: each(FUNCTIONS, 'Properties.Environment.Variables.GENESYS_HTTPS_PROXY'),
      check: (r) => {
        for (const fn of FUNCTIONS) expect(env(r, fn).GENESYS_HTTPS_PROXY).toBe(PROXY);
      },
    },
    {
      name: 'reserved concurrency only',
      values: { DataActionReservedConcurrency: '20' },
      changes: ['DataActionLambdaFunction.Properties.ReservedConcurrentExecutions'],
      check: (r) => expect(props(r, 'DataActionLambdaFunction').ReservedConcurrentExecutions).toBe('20'),
    },
    {
      name: 'load limits only',
      values: { QueueMaxConcurrency: '3', WebhookRateLimit: '1', WebhookBurstLimit: '3' },
      changes: [
        'EventsEventSourceMappingSQSIdentityVerifiedQueue.Properties.ScalingConfig.MaximumConcurrency',
        'HttpApiStage.Properties.DefaultRouteSettings.ThrottlingRateLimit',
        'HttpApiStage.Properties.DefaultRouteSettings.ThrottlingBurstLimit',
      ],
      check: (r) =>
        expect(props(r, 'HttpApiStage').DefaultRouteSettings).toMatchObject({
          ThrottlingRateLimit: '1',
          ThrottlingBurstLimit: '3',
        }),
    },
  ];

  test.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const values = { ...ORG, ...row.values };
    for (const name of Object.keys(row.values)) expect(TEMPLATE.Parameters).toHaveProperty(name);
    expect(brokenRules(values)).toEqual([]);
    const resolved = resolve(values);
    expect(changedPaths(DEFAULTS, resolved).sort()).toEqual([...row.changes].sort());
    row.check(resolved);
  });

  test('every guardrail parameter has a row of its own', () => {
    const covered = new Set(ROWS.flatMap((row) => Object.keys(row.values)));
    const guardrails = Object.keys(GUARDRAILS).filter((name) => name !== 'GenesysOrgId');
    expect(guardrails.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe("the account's own rules, all set at once", () => {
  test(
    'customer-managed key: kms:Decrypt on that key only, ' +
      'and only through Secrets Manager (and SQS for the queue door)',
    () => {
      for (const role of ROLES) expect(kmsStatements(DEFAULTS, role)).toEqual([]);
      for (const role of ['DataActionRole', 'WebhookRole']) {
        expect(kmsStatements(SET, role)).toEqual([
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') },
        ]);
      }
      expect(kmsStatements(SET, 'EventsRole')).toEqual([
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('sqs') },
      ]);
      expect(kmsStatements(SET, 'RotateTokenRole')).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: KEY,
          Condition: via('secretsmanager'),
        },
      ]);
    },
  );

  test('customer-managed key: the token secret, the queues and the log groups use it when given', () => {
    for (const queue of QUEUES) {
      expect(props(DEFAULTS, queue)).toMatchObject({ SqsManagedSseEnabled: true });
      expect(props(DEFAULTS, queue)).not.toHaveProperty('KmsMasterKeyId');
      expect(props(SET, queue).KmsMasterKeyId).toBe(KEY);
      expect(props(SET, queue)).not.toHaveProperty('SqsManagedSseEnabled');
    }
    expect(props(SET, 'GenesysTokenSecret').KmsKeyId).toBe(KEY);
    for (const group of LOG_GROUPS) {
      expect(props(DEFAULTS, group)).not.toHaveProperty('KmsKeyId');
      expect(props(SET, group).KmsKeyId).toBe(KEY);
    }
  });

  test('permissions boundary: on every role the stack creates when set, on none otherwise', () => {
    const roles = (r: Record<string, Resource>) => Object.entries(r).filter(([, x]) => x.Type === 'AWS::IAM::Role');
    expect(roles(SET).length).toBeGreaterThanOrEqual(5);
    for (const [name, role] of roles(DEFAULTS))
      expect({ name, boundary: role.Properties.PermissionsBoundary }).toEqual({ name, boundary: undefined });
    for (const [name, role] of roles(SET))
      expect({ name, boundary: role.Properties.PermissionsBoundary }).toEqual({
        name,
        boundary: GUARDRAILS.PermissionsBoundaryArn,
      });
  });

  test(
    'VPC and tracing: each function in the given subnets, traced; ' +
      "each role with the network-interface actions inline and X-Ray's managed policy, nothing more",
    () => {
      for (const fn of FUNCTIONS) {
        expect(props(DEFAULTS, fn)).not.toHaveProperty('VpcConfig');
        expect(props(DEFAULTS, fn)).not.toHaveProperty('TracingConfig');
        expect(props(SET, fn).VpcConfig).toEqual({
          SubnetIds: GUARDRAILS.SubnetIds,
          SecurityGroupIds: GUARDRAILS.SecurityGroupIds,
        });
        expect(props(SET, fn).TracingConfig).toEqual({ Mode: 'Active' });
      }
      for (const role of ROLES) {
        expect(props(DEFAULTS, role).ManagedPolicyArns).toEqual([]);
        expect(vpcStatements(DEFAULTS, role)).toEqual([]);
        expect(props(SET, role).ManagedPolicyArns).toEqual([XRAY_POLICY]);
        expect(vpcStatements(SET, role)).toEqual([VPC_STATEMENT]);
      }
      // No AWSLambdaVPCAccessExecutionRole anywhere: its logs actions on every log group would undo
      // the per-log-group statements.
      expect(JSON.stringify(TEMPLATE)).not.toContain('AWSLambdaVPCAccessExecutionRole');
    },
  );

  test('egress proxy: GENESYS_HTTPS_PROXY only when the deployer names one', () => {
    for (const fn of FUNCTIONS) {
      expect(env(DEFAULTS, fn)).not.toHaveProperty('GENESYS_HTTPS_PROXY');
      expect(env(SET, fn).GENESYS_HTTPS_PROXY).toBe(GUARDRAILS.GenesysProxyUrl);
    }
  });

  test(
    'with every guardrail set, no inline IAM statement has a wildcard action, ' +
      "and the only '*' resources are the VPC's network interfaces and log streams",
    () => {
      for (const role of ROLES) {
        for (const s of statementsOf(SET, role)) {
          for (const action of [s.Action].flat()) expect(action).not.toContain('*');
          // the one documented exception (docs/deploy.md)
          if (JSON.stringify(s) === JSON.stringify(VPC_STATEMENT)) continue;
          expect(JSON.stringify(s.Resource).replace(/:log-group:[^"]*:\*"/g, '"')).not.toContain('*');
        }
      }
    },
  );
});

describe('what needs a person', () => {
  /**
   * CloudWatch publishes an alarm to an encrypted topic only with kms:Decrypt and
   * kms:GenerateDataKey* on its key; the AWS-managed alias/aws/sns cannot grant that, so a topic
   * encrypted with it silently drops every alarm (AWS Knowledge Center,
   * cloudwatch-receive-sns-for-alarm-trigger). A publishable topic is unencrypted, or encrypted
   * with the deployer's customer-managed key, whose CloudWatch grant docs/deploy.md gives.
   */
  const publishable = (resources: Record<string, Resource>, topic: string, key: string | undefined): boolean => {
    const r = resources[topic];
    if (r?.Type !== 'AWS::SNS::Topic') return false;
    const used = r.Properties.KmsMasterKeyId;
    return (
      used === undefined ||
      (key !== undefined && used === key && /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\//.test(key))
    );
  };
  const alarmTopics = (resources: Record<string, Resource>): string[] =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .flatMap((r) =>
        ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
          (k) => (r.Properties[k] as { Ref?: string }[] | undefined) ?? [],
        ),
      )
      .map((action) => action.Ref ?? JSON.stringify(action));

  test.each([
    ['no parameter set', ORG, undefined],
    ['the customer-managed key', { ...ORG, KmsKeyArn: KEY }, KEY],
    ['every guardrail set', GUARDRAILS, KEY],
  ] as const)('with %s, every alarm publishes to a topic CloudWatch can publish to', (_name, values, key) => {
    const resources = resolve(values);
    const topics = alarmTopics(resources);
    expect(topics.length).toBeGreaterThanOrEqual(5);
    for (const topic of new Set(topics))
      expect({ topic, publishable: publishable(resources, topic, key) }).toEqual({ topic, publishable: true });
  });

  test('no SNS topic is encrypted with an AWS-managed key, whatever the parameters', () => {
    for (const values of [ORG, GUARDRAILS, { ...ORG, KmsKeyArn: KEY }]) {
      for (const [name, r] of Object.entries(resolve(values)).filter(([, x]) => x.Type === 'AWS::SNS::Topic')) {
        expect({ name, key: JSON.stringify(r.Properties.KmsMasterKeyId ?? null) }).not.toEqual({
          name,
          key: expect.stringMatching(/alias\/aws\//),
        });
      }
    }
    expect(props(DEFAULTS, 'AlarmTopic')).not.toHaveProperty('KmsMasterKeyId');
    expect(props(SET, 'AlarmTopic').KmsMasterKeyId).toBe(KEY);
  });

  test(
    'the key parameter takes key ARNs only (an alias could be AWS-managed), ' +
      "and the deploy guide gives CloudWatch's grant next to it",
    () => {
      const pattern = new RegExp(TEMPLATE.Parameters.KmsKeyArn?.AllowedPattern ?? '^$');
      expect(pattern.test(KEY)).toBe(true);
      for (const alias of ['alias/aws/sns', 'arn:aws:kms:us-east-1:123456789012:alias/aws/sns'])
        expect(pattern.test(alias)).toBe(false);
      const deploy = readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
      const row = deploy.split('\n').find((line) => line.startsWith('| `kmsKeyArn` |')) ?? '';
      expect(row).toContain('`cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*`');
      expect(deploy).toMatch(
        new RegExp(
          /"Principal": \{ "Service": "cloudwatch\.amazonaws\.com" \},/.source +
            /\s+"Action": \["kms:Decrypt", "kms:GenerateDataKey\*"\]/.source,
        ),
      );
    },
  );

  test("the webhook's 5xx answers (503: its token secret unreadable) raise an alarm on the alarm topic", () => {
    const alarm = TEMPLATE.Resources.WebhookServerErrorsAlarm;
    expect(alarm?.Type).toBe('AWS::CloudWatch::Alarm');
    expect(alarm?.Properties).toMatchObject({
      AlarmName: 'genesys-participant-flagger-dev-webhook-5xx',
      // HTTP APIs: metric `5xx` (REST APIs' is 5XXError) by ApiId, whose value is the API's Ref.
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(TEMPLATE.Resources.HttpApi?.Type).toBe('AWS::ApiGatewayV2::Api');
    expect(TEMPLATE.Resources.HttpApiRoutePostFlag?.Properties).toMatchObject({
      ApiId: { Ref: 'HttpApi' },
      RouteKey: 'POST /flag',
    });
    // Present whatever the guardrails.
    expect(SET.WebhookServerErrorsAlarm).toEqual(DEFAULTS.WebhookServerErrorsAlarm);
  });

  test('the dashboard links to that alarm', () => {
    const body = String(TEMPLATE.Resources.Dashboard?.Properties.DashboardBody);
    expect(body).toContain('#alarmsV2:alarm/genesys-participant-flagger-dev-webhook-5xx');
  });
});

describe('who can flag through each door, and nobody else', () => {
  const TOKEN_PER_CONTAINER = resolve({ ...ORG, TokenMode: 'false' });
  const producers = GUARDRAILS.EventProducerArns as string[];
  const sources = GUARDRAILS.EventSources as string[];
  const senders = GUARDRAILS.QueueSenderArns as string[];

  test(
    'the event bus: with no producer named, every principal is denied PutEvents; with producers, only they, ' +
      'and only for the named sources',
    () => {
      expect(busStatements(DEFAULTS)).toEqual([BUS_DENY_ALL]);
      expect(busStatements(SET)).toEqual(busStatementsFor(producers, sources));
    },
  );

  test(
    'the rule: disabled until a source is named, then only "Identity Verified" of those sources, ' +
      'with a dead-letter queue',
    () => {
      const target = {
        Id: 'identity-verified-queue',
        Arn: QUEUE_ARN,
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['IdentityVerifiedRuleDLQ', 'Arn'] } },
      };
      expect(props(DEFAULTS, 'IdentityVerifiedRule')).toMatchObject({
        State: 'DISABLED',
        EventPattern: { source: [''], 'detail-type': ['Identity Verified'] },
        Targets: [target],
      });
      expect(props(SET, 'IdentityVerifiedRule')).toMatchObject({
        State: 'ENABLED',
        EventPattern: { source: sources, 'detail-type': ['Identity Verified'] },
        Targets: [target],
      });
      expect(Object.keys(props(SET, 'IdentityVerifiedRule').EventPattern as object).sort()).toEqual([
        'detail-type',
        'source',
      ]);
    },
  );

  test(
    'the queue: only the rule may send by default; ' + 'named senders besides it; every other sender denied; TLS only',
    () => {
      expect(queueStatements(DEFAULTS)).toEqual(queueStatementsFor([]));
      expect(queueStatements(SET)).toEqual(queueStatementsFor(senders));
    },
  );

  test('the DLQ: nobody may send to it (SQS moves messages there itself), TLS only', () => {
    const dlq = { 'Fn::GetAtt': ['IdentityVerifiedDLQ', 'Arn'] };
    for (const r of [DEFAULTS, SET]) {
      expect(policyStatements(r, 'IdentityVerifiedDLQPolicy')).toEqual([
        { Sid: 'NobodySends', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: dlq },
        tlsOnly(dlq),
      ]);
    }
  });

  test("the rule's dead-letter queue: only the rule may send to it, TLS only", () => {
    const dlq = { 'Fn::GetAtt': ['IdentityVerifiedRuleDLQ', 'Arn'] };
    for (const r of [DEFAULTS, SET]) {
      expect(policyStatements(r, 'IdentityVerifiedRuleDLQPolicy')).toEqual([
        {
          Sid: 'TheRuleSendsWhatItCouldNotDeliver',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: dlq,
          Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
        },
        {
          Sid: 'NobodyElseSends',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:SendMessage',
          Resource: dlq,
          Condition: { ArnNotEquals: { 'aws:SourceArn': RULE_ARN } },
        },
        tlsOnly(dlq),
      ]);
    }
  });

  test('the queue door takes envelopes of the named sources, and plain bodies only where senders are named', () => {
    expect(env(DEFAULTS, 'EventsLambdaFunction').QUEUE_ACCEPTS).toBe('eventbridge');
    expect(env(DEFAULTS, 'EventsLambdaFunction')).not.toHaveProperty('EVENT_SOURCES');
    expect(env(SET, 'EventsLambdaFunction')).toMatchObject({
      QUEUE_ACCEPTS: 'eventbridge,plain',
      EVENT_SOURCES: sources.join(','),
    });
  });

  test(
    'the webhook route: the bearer authorizer runs first (cached 5 minutes per Authorization header), ' +
      'and the throttle stays',
    () => {
      for (const r of [DEFAULTS, SET]) {
        expect(props(r, 'HttpApiRoutePostFlag')).toMatchObject({
          RouteKey: 'POST /flag',
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: 'HttpApiAuthorizerBearer' },
        });
        expect(props(r, 'HttpApiAuthorizerBearer')).toMatchObject({
          ApiId: { Ref: 'HttpApi' },
          AuthorizerType: 'REQUEST',
          IdentitySource: ['$request.header.Authorization'],
          AuthorizerResultTtlInSeconds: 300,
          EnableSimpleResponses: true,
          AuthorizerPayloadFormatVersion: '2.0',
        });
        expect(JSON.stringify(props(r, 'HttpApiAuthorizerBearer').AuthorizerUri)).toContain(
          '"AuthorizerLambdaFunction","Arn"',
        );
      }
      expect(props(DEFAULTS, 'HttpApiStage').DefaultRouteSettings).toMatchObject({
        ThrottlingRateLimit: '2',
        ThrottlingBurstLimit: '5',
      });
      // API Gateway may invoke the authorizer of this API only.
      expect(props(DEFAULTS, 'BearerLambdaAuthorizerPermissionHttpApi')).toMatchObject({
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': ['AuthorizerLambdaFunction', 'Arn'] },
      });
      expect(JSON.stringify(props(DEFAULTS, 'BearerLambdaAuthorizerPermissionHttpApi').SourceArn)).toContain(
        '{"Ref":"HttpApi"},"/*"',
      );
    },
  );

  test('the authorizer reads the webhook token secret and nothing else: no Genesys secret, no queue', () => {
    const secrets = statementsOf(DEFAULTS, 'AuthorizerRole').filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secrets).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:' +
            'genesys-participant-flagger/dev/webhook-token-??????',
        },
      },
    ]);
    expect(
      statementsOf(DEFAULTS, 'AuthorizerRole')
        .flatMap((st) => [st.Action].flat())
        .sort(),
    ).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue']);
  });

  test("the webhook's access log: request id, source address, status and latency; never a header or a body", () => {
    const settings = props(DEFAULTS, 'HttpApiStage').AccessLogSettings as { DestinationArn: Json; Format: string };
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
    });
    for (const variable of Object.values(format))
      expect(variable).toMatch(
        new RegExp(
          String.raw`^\$context\.(requestId|identity\.sourceIp|requestTime|routeKey|status|responseLatency|` +
            String.raw`integrationLatency|authorizer\.error|error\.message)$`,
        ),
      );
    expect(settings.Format).not.toMatch(/header|userAgent|authorization|body|\$input/i);
    expect(props(SET, 'HttpApiStage').AccessLogSettings).toEqual(settings);
  });

  test(
    'the token secret: only the stack roles that use it (and the break-glass role when named) ' +
      'may read or write its value',
    () => {
      const deny = (principals: Json[]) => [
        {
          Sid: 'OnlyTheStackReadsOrWritesTheToken',
          Effect: 'Deny',
          Principal: '*',
          Action: [
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': principals } },
        },
      ];
      expect(props(DEFAULTS, 'GenesysTokenSecretPolicy')).toMatchObject({
        SecretId: { Ref: 'GenesysTokenSecret' },
        BlockPublicPolicy: true,
      });
      expect(secretPolicyStatements(DEFAULTS)).toEqual(deny(STACK_TOKEN_READERS));
      expect(secretPolicyStatements(SET)).toEqual(
        deny([...STACK_TOKEN_READERS, GUARDRAILS.BreakGlassRoleArn as string]),
      );
      // The authorizer never reads it.
      expect(JSON.stringify(secretPolicyStatements(SET))).not.toContain('AuthorizerRole');
      expect(TOKEN_PER_CONTAINER).not.toHaveProperty('GenesysTokenSecretPolicy');
    },
  );

  test(
    'the rotation: Secrets Manager may invoke it for the token secret only, ' + 'and it is told which secret that is',
    () => {
      expect(props(DEFAULTS, 'RotateTokenInvokePermission')).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['RotateTokenLambdaFunction', 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { Ref: 'GenesysTokenSecret' },
      });
      expect(env(DEFAULTS, 'RotateTokenLambdaFunction').GENESYS_TOKEN_SECRET_ID).toEqual({ Ref: 'GenesysTokenSecret' });
    },
  );

  test(
    'nothing of the rotation is deployed when nothing rotates (tokenMode=false): function, versions, log group, ' +
      'role, permission, output',
    () => {
      for (const id of ROTATION_RESOURCES) {
        expect({ id, condition: TEMPLATE.Resources[id]?.Condition }).toEqual({ id, condition: 'UseTokenMode' });
        expect(TOKEN_PER_CONTAINER).not.toHaveProperty(id);
      }
      expect(ROTATION_RESOURCES.filter((id) => TEMPLATE.Resources[id]?.Type === 'AWS::Lambda::Version')).toHaveLength(
        1,
      );
      expect(TEMPLATE.Outputs.RotateTokenLambdaFunctionQualifiedArn?.Condition).toBe('UseTokenMode');
      // What stays refers to none of it.
      const rest = JSON.stringify(TOKEN_PER_CONTAINER);
      for (const id of ROTATION_RESOURCES)
        expect({ id, referred: rest.includes(`"${id}"`) }).toEqual({ id, referred: false });
    },
  );

  test(
    'events the rule could not deliver raise an alarm: ' +
      'FailedInvocations and the dead-letter counts of this rule on this bus',
    () => {
      const alarm = props(DEFAULTS, 'EventDeliveryFailedAlarm');
      const metrics = alarm.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Json } };
      }[];
      const dimensions = [
        { Name: 'EventBusName', Value: { Ref: 'FlaggerEventBus' } },
        { Name: 'RuleName', Value: 'genesys-participant-flagger-dev-identity-verified' },
      ];
      expect(
        metrics
          .filter((m) => m.MetricStat)
          .map((m) => [
            m.MetricStat?.Metric.Namespace,
            m.MetricStat?.Metric.MetricName,
            m.MetricStat?.Metric.Dimensions,
          ]),
      ).toEqual([
        ['AWS/Events', 'FailedInvocations', dimensions],
        ['AWS/Events', 'InvocationsSentToDlq', dimensions],
        ['AWS/Events', 'InvocationsFailedToBeSentToDlq', dimensions],
      ]);
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(toDlq, 0) + FILL(lost, 0)');
      expect(alarm).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      expect(props(DEFAULTS, 'IdentityVerifiedRule').Name).toBe('genesys-participant-flagger-dev-identity-verified');
    },
  );
});

describe('what a bank keeps', () => {
  test('every log group keeps its lines for logRetentionDays (365 by default) and outlives the stack', () => {
    const groups = Object.entries(DEFAULTS)
      .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')
      .map(([name]) => name);
    expect(groups.sort()).toEqual([...LOG_GROUPS].sort());
    for (const group of LOG_GROUPS) {
      expect({ group, days: props(DEFAULTS, group).RetentionInDays }).toEqual({ group, days: '365' });
      expect({ group, days: props(SET, group).RetentionInDays }).toEqual({ group, days: GUARDRAILS.LogRetentionDays });
      expect({
        group,
        deletion: DEFAULTS[group]?.DeletionPolicy,
        replace: DEFAULTS[group]?.UpdateReplacePolicy,
      }).toEqual({ group, deletion: 'Retain', replace: 'Retain' });
    }
  });

  test('the DLQ, the rule DLQ and the token secret outlive the stack and a replacement', () => {
    for (const name of ['IdentityVerifiedDLQ', 'IdentityVerifiedRuleDLQ', 'GenesysTokenSecret']) {
      expect({ name, deletion: DEFAULTS[name]?.DeletionPolicy, replace: DEFAULTS[name]?.UpdateReplacePolicy }).toEqual({
        name,
        deletion: 'Retain',
        replace: 'Retain',
      });
    }
  });
});

/**
 * The AWS Foundational Security Best Practices controls the review named, checked on the rendered
 * template with the defaults and with every optional parameter set (Security Hub's control
 * reference gives each control's rule; only what the template decides is checked here).
 */
describe('AWS Foundational Security Best Practices', () => {
  const BOTH = [
    ['defaults', DEFAULTS],
    ['every optional parameter set', SET],
  ] as const;
  const ofType = (r: Record<string, Resource>, type: string) => Object.entries(r).filter(([, x]) => x.Type === type);

  test.each(BOTH)('APIGateway.8: every HTTP API route has an authorization type (%s)', (_name, r) => {
    const routes = ofType(r, 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(0);
    for (const [name, route] of routes)
      expect({ name, type: route.Properties.AuthorizationType }).toEqual({ name, type: 'CUSTOM' });
  });

  test.each(BOTH)('APIGateway.9: every HTTP API stage has access logging (%s)', (_name, r) => {
    for (const [name, stage] of ofType(r, 'AWS::ApiGatewayV2::Stage')) {
      expect({
        name,
        destination: (stage.Properties.AccessLogSettings as { DestinationArn?: Json } | undefined)?.DestinationArn,
      }).toEqual({ name, destination: { 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] } });
    }
  });

  test.each(BOTH)('CloudWatch.16: every log group is retained at least 365 days (%s)', (_name, r) => {
    for (const [name, group] of ofType(r, 'AWS::Logs::LogGroup'))
      expect({ name, atLeastAYear: Number(group.Properties.RetentionInDays) >= 365 }).toEqual({
        name,
        atLeastAYear: true,
      });
  });

  test.each(BOTH)('EventBridge.3: the custom event bus has a resource-based policy (%s)', (_name, r) => {
    for (const [name, bus] of ofType(r, 'AWS::Events::EventBus'))
      expect({ name, statements: (bus.Properties.Policy as { Statement: Json[] }).Statement.length > 0 }).toEqual({
        name,
        statements: true,
      });
  });

  test.each(BOTH)('SQS.1: every queue is encrypted at rest (%s)', (_name, r) => {
    for (const [name, queue] of ofType(r, 'AWS::SQS::Queue')) {
      expect({
        name,
        encrypted: queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined,
      }).toEqual({ name, encrypted: true });
    }
  });

  test.each(BOTH)('SQS.3: no queue policy allows public access; every queue refuses plain HTTP (%s)', (_name, r) => {
    const policies = ofType(r, 'AWS::SQS::QueuePolicy');
    expect(policies.map(([, p]) => JSON.stringify(p.Properties.Queues)).sort()).toEqual(
      QUEUES.map((q) => JSON.stringify([{ Ref: q }])).sort(),
    );
    for (const [name, policy] of policies) {
      const statements = (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement;
      for (const st of statements.filter((x) => x.Effect === 'Allow')) {
        expect({ name, principal: st.Principal === '*' || JSON.stringify(st.Principal).includes('"*"') }).toEqual({
          name,
          principal: false,
        });
      }
      expect(statements.filter((x) => x.Sid === 'TlsOnly')).toHaveLength(1);
    }
  });

  test.each(BOTH)(
    'SecretsManager.1: the token secret rotates, with the function that checks it is the one (%s)',
    (_name, r) => {
      expect(props(r, 'GenesysTokenRotation')).toMatchObject({
        SecretId: { Ref: 'GenesysTokenSecret' },
        RotationLambdaARN: { 'Fn::GetAtt': ['RotateTokenLambdaFunction', 'Arn'] },
      });
    },
  );

  test.each(BOTH)('Lambda.1: every Lambda permission names its source (%s)', (_name, r) => {
    for (const [name, permission] of ofType(r, 'AWS::Lambda::Permission'))
      expect({ name, sourceArn: permission.Properties.SourceArn !== undefined }).toEqual({ name, sourceArn: true });
  });
});
