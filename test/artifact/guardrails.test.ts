/**
 * The guardrail parameters of the rendered CloudFormation template, each asserted twice: left
 * empty (a deployer who sets none of them) and set (infra/aws/guardrails.params.json, the values
 * `npm run lint:infra` also runs cfn-lint with). Conditions, `Fn::If`, `Ref`s to parameters and
 * `AWS::NoValue` are resolved here as CloudFormation would; other intrinsics stay as they are.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
type Json = unknown;
type Resource = { Type: string; Condition?: string; Properties: Record<string, Json> };
interface Template {
  Parameters: Record<string, { Type: string; Default?: string | number }>;
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
}

const raw = (): Template => JSON.parse(readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8')) as Template;
const GUARDRAILS = Object.fromEntries(
  (JSON.parse(readFileSync(path.join(ROOT, 'infra/aws/guardrails.params.json'), 'utf8')) as { ParameterKey: string; ParameterValue: string | string[] }[]).map((p) => [p.ParameterKey, p.ParameterValue]),
);
const NO_VALUE = Symbol('AWS::NoValue');

/** The template as CloudFormation would see it with these parameter values. */
function resolve(values: Record<string, string | string[]>): Record<string, Resource> {
  const template = raw();
  const params: Record<string, Json> = {};
  for (const [name, p] of Object.entries(template.Parameters)) {
    const given = values[name] ?? (p.Default === undefined ? '' : String(p.Default));
    params[name] = p.Type === 'CommaDelimitedList' ? (Array.isArray(given) ? given : String(given) === '' ? [''] : String(given).split(',')) : given;
  }
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

const DEFAULTS = resolve({ GenesysOrgId: '0f8b2f0e-3c1a-4d5e-9f70-1a2b3c4d5e6f' });
const SET = resolve(GUARDRAILS);
const FUNCTIONS = ['DataActionLambdaFunction', 'EventsLambdaFunction', 'WebhookLambdaFunction', 'RotateTokenLambdaFunction'];
const ROLES = ['DataActionRole', 'EventsRole', 'WebhookRole', 'RotateTokenRole'];
const props = (r: Record<string, Resource>, name: string): Record<string, Json> => r[name]?.Properties ?? {};
const statementsOf = (r: Record<string, Resource>, role: string) =>
  ((props(r, role).Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: Json; Condition?: Json }[] } }[]) ?? []).flatMap((p) => p.PolicyDocument.Statement);
const kmsStatements = (r: Record<string, Resource>, role: string) => statementsOf(r, role).filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
const KEY = GUARDRAILS.KmsKeyArn as string;

describe('the caller on hold comes first', () => {
  test('the queue door drains a backlog at most 5 batches at a time, or as set', () => {
    const mapping = (r: Record<string, Resource>) => props(r, 'EventsEventSourceMappingSQSIdentityVerifiedQueue').ScalingConfig;
    expect(mapping(DEFAULTS)).toEqual({ MaximumConcurrency: '5' });
    expect(mapping(SET)).toEqual({ MaximumConcurrency: '3' });
  });

  test('API Gateway throttles the webhook at 20 requests a second (bursts of 40), or as set', () => {
    const stage = (r: Record<string, Resource>) => props(r, 'HttpApiStage').DefaultRouteSettings;
    expect(stage(DEFAULTS)).toMatchObject({ ThrottlingRateLimit: '20', ThrottlingBurstLimit: '40' });
    expect(stage(SET)).toMatchObject({ ThrottlingRateLimit: '10', ThrottlingBurstLimit: '20' });
  });

  test('reserved concurrency for the data action: off by default, the given slots when set', () => {
    expect(props(DEFAULTS, 'DataActionLambdaFunction')).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(props(SET, 'DataActionLambdaFunction').ReservedConcurrentExecutions).toBe('20');
    for (const fn of FUNCTIONS.slice(1)) expect(props(SET, fn)).not.toHaveProperty('ReservedConcurrentExecutions');
  });
});

describe("the account's own rules", () => {
  test('customer-managed key: kms:Decrypt on that key only, and only through Secrets Manager (and SQS for the queue door)', () => {
    for (const role of ROLES) expect(kmsStatements(DEFAULTS, role)).toEqual([]);
    const via = (service: string) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': `${service}.\${AWS::Region}.amazonaws.com` } } });
    for (const role of ['DataActionRole', 'WebhookRole']) {
      expect(kmsStatements(SET, role)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') }]);
    }
    expect(kmsStatements(SET, 'EventsRole')).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('secretsmanager') },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY, Condition: via('sqs') },
    ]);
    expect(kmsStatements(SET, 'RotateTokenRole')).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY, Condition: via('secretsmanager') }]);
  });

  test('customer-managed key: the token secret, the queues and the log groups use it when given', () => {
    for (const queue of ['IdentityVerifiedQueue', 'IdentityVerifiedDLQ']) {
      expect(props(DEFAULTS, queue)).toMatchObject({ SqsManagedSseEnabled: true });
      expect(props(DEFAULTS, queue)).not.toHaveProperty('KmsMasterKeyId');
      expect(props(SET, queue).KmsMasterKeyId).toBe(KEY);
      expect(props(SET, queue)).not.toHaveProperty('SqsManagedSseEnabled');
    }
    expect(props(SET, 'GenesysTokenSecret').KmsKeyId).toBe(KEY);
    for (const group of ['DataActionLogGroup', 'EventsLogGroup', 'WebhookLogGroup', 'RotateTokenLogGroup']) {
      expect(props(DEFAULTS, group)).not.toHaveProperty('KmsKeyId');
      expect(props(SET, group).KmsKeyId).toBe(KEY);
    }
  });

  test('permissions boundary: on every role the stack creates when set, on none otherwise', () => {
    const roles = (r: Record<string, Resource>) => Object.entries(r).filter(([, x]) => x.Type === 'AWS::IAM::Role');
    expect(roles(SET).length).toBeGreaterThanOrEqual(5);
    for (const [name, role] of roles(DEFAULTS)) expect({ name, boundary: role.Properties.PermissionsBoundary }).toEqual({ name, boundary: undefined });
    for (const [name, role] of roles(SET)) expect({ name, boundary: role.Properties.PermissionsBoundary }).toEqual({ name, boundary: GUARDRAILS.PermissionsBoundaryArn });
  });

  test('VPC: the functions run in the given subnets and security groups, with the network-interface policy', () => {
    for (const fn of FUNCTIONS) {
      expect(props(DEFAULTS, fn)).not.toHaveProperty('VpcConfig');
      expect(props(SET, fn).VpcConfig).toEqual({ SubnetIds: GUARDRAILS.SubnetIds, SecurityGroupIds: GUARDRAILS.SecurityGroupIds });
    }
    for (const role of ROLES) {
      expect(props(DEFAULTS, role).ManagedPolicyArns).toEqual([]);
      expect(props(SET, role).ManagedPolicyArns).toContainEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' });
    }
  });

  test('egress proxy: GENESYS_HTTPS_PROXY only when the deployer names one', () => {
    const env = (r: Record<string, Resource>, fn: string) => (props(r, fn).Environment as { Variables: Record<string, Json> }).Variables;
    for (const fn of FUNCTIONS) {
      expect(env(DEFAULTS, fn)).not.toHaveProperty('GENESYS_HTTPS_PROXY');
      expect(env(SET, fn).GENESYS_HTTPS_PROXY).toBe(GUARDRAILS.GenesysProxyUrl);
    }
  });

  test('tracing: X-Ray active tracing and its write policy only when asked for', () => {
    for (const fn of FUNCTIONS) {
      expect(props(DEFAULTS, fn)).not.toHaveProperty('TracingConfig');
      expect(props(SET, fn).TracingConfig).toEqual({ Mode: 'Active' });
    }
    for (const role of ROLES) expect(props(SET, role).ManagedPolicyArns).toContainEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess' });
  });

  test('with every guardrail set, still no inline IAM statement with a wildcard action or resource', () => {
    for (const role of ROLES) {
      for (const s of statementsOf(SET, role)) {
        for (const action of [s.Action].flat()) expect(action).not.toContain('*');
        expect(JSON.stringify(s.Resource).replace(/:log-group:[^"]*:\*"/g, '"')).not.toContain('*');
      }
    }
  });
});
