/**
 * `npm start -- --webhook` serves the webhook with serverless-offline from serverless.offline.yml,
 * which names the local emulators instead of serverless.yml's deploy-time values. The function it
 * serves must stay the one that is deployed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
type Fn = { handler: string; timeout: unknown; events: unknown; environment: Record<string, unknown> };
type Config = { functions: Record<string, Fn>; provider: { httpApi?: { authorizers?: Record<string, unknown> } } };
const configOf = (file: string): Config => parse(readFileSync(path.join(ROOT, file), 'utf8')) as Config;
const webhookOf = (file: string): Fn => configOf(file).functions.webhook as Fn;

test('the local webhook is the deployed one: handler, route, timeout and deadline', () => {
  const deployed = webhookOf('serverless.yml');
  const local = webhookOf('serverless.offline.yml');
  expect(local.handler).toBe(deployed.handler);
  expect(local.events).toEqual(deployed.events);
  expect(local.timeout).toBe(deployed.timeout);
  expect(local.environment.FLAG_DEADLINE_MS).toBe(deployed.environment.FLAG_DEADLINE_MS);
  expect(Object.keys(local.environment).sort()).toEqual(Object.keys(deployed.environment).sort());
});

test('the local authorizer is the deployed one: handler, timeout, the same settings, the same route', () => {
  const deployed = configOf('serverless.yml');
  const local = configOf('serverless.offline.yml');
  expect(local.provider.httpApi?.authorizers).toEqual(deployed.provider.httpApi?.authorizers);
  const [deployedFn, localFn] = [deployed.functions.authorizer as Fn, local.functions.authorizer as Fn];
  expect(localFn.handler).toBe(deployedFn.handler);
  expect(localFn.timeout).toBe(deployedFn.timeout);
  expect(Object.keys(localFn.environment)).toEqual(Object.keys(deployedFn.environment));
  expect(webhookOf('serverless.offline.yml').events).toEqual([
    { httpApi: { method: 'POST', path: '/flag', authorizer: { name: 'bearer' } } },
  ]);
});

test('serverless-offline listens on loopback only', () => {
  const config = parse(readFileSync(path.join(ROOT, 'serverless.offline.yml'), 'utf8')) as {
    custom: { 'serverless-offline': { host: string } };
  };
  expect(config.custom['serverless-offline'].host).toBe('127.0.0.1');
});
