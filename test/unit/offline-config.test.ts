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
const webhookOf = (file: string): Fn => (parse(readFileSync(path.join(ROOT, file), 'utf8')) as { functions: { webhook: Fn } }).functions.webhook;

test('the local webhook is the deployed one: handler, route, timeout and deadline', () => {
  const deployed = webhookOf('serverless.yml');
  const local = webhookOf('serverless.offline.yml');
  expect(local.handler).toBe(deployed.handler);
  expect(local.events).toEqual(deployed.events);
  expect(local.timeout).toBe(deployed.timeout);
  expect(local.environment.FLAG_DEADLINE_MS).toBe(deployed.environment.FLAG_DEADLINE_MS);
  expect(Object.keys(local.environment).sort()).toEqual(Object.keys(deployed.environment).sort());
});

test('serverless-offline listens on loopback only', () => {
  const config = parse(readFileSync(path.join(ROOT, 'serverless.offline.yml'), 'utf8')) as { custom: { 'serverless-offline': { host: string } } };
  expect(config.custom['serverless-offline'].host).toBe('127.0.0.1');
});
