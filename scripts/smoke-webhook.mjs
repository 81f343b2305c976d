#!/usr/bin/env node
/**
 * CI check of `npm start -- --webhook`, which serves until stopped: starts it on a free port,
 * waits until it listens, checks that the authorizer refuses a POST without the token (401) and one
 * with a wrong token (403), and that the sample event with the token it prints gets status UPDATED,
 * then stops it.
 *
 *   node scripts/smoke-webhook.mjs
 *
 * The server runs in its own process group (npm, tsx and node under it), and the whole group is
 * stopped on every way out (success, a failed check, a timeout, Ctrl+C), so no server is left
 * holding the port.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** `npm start` builds the bundle first: allow for a slow machine. */
const READY_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

const sample = readFileSync(new URL('../events/identity-verified.nested.json', import.meta.url), 'utf8');
let output = '';
let server;

async function main() {
  const port = await freePort();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  server = spawn(npm, ['start', '--', '--webhook'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port) },
  });
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  console.log(`smoke-webhook: npm start -- --webhook on port ${port} (pid ${server.pid})`);

  // Ready once it has printed its curl line: the server listens before it prints it.
  const ready = await until(READY_TIMEOUT_MS, () => {
    const url = /POST (http:\/\/127\.0\.0\.1:\d+\/flag)/.exec(output)?.[1];
    const token = /authorization: Bearer ([\w-]+)/.exec(output)?.[1];
    if (url && token) return { url, token };
    return server.exitCode === null && server.signalCode === null ? undefined : { exited: true };
  });
  if (!ready) throw new Error(`not listening after ${READY_TIMEOUT_MS / 1000} s`);
  if (ready.exited) throw new Error(`npm start ended (${server.exitCode ?? server.signalCode}) before listening`);

  const post = (headers) =>
    fetch(ready.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: sample,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  const anonymous = await post({});
  if (anonymous.status !== 401) throw new Error(`without the token: HTTP ${anonymous.status}, expected 401`);
  const wrong = await post({ authorization: 'Bearer not-the-token-0123456789' });
  if (wrong.status !== 403)
    throw new Error(`with a wrong token: HTTP ${wrong.status}, expected 403 from the authorizer`);
  const answer = await post({ authorization: `Bearer ${ready.token}` });
  const text = await answer.text();
  let status;
  try {
    status = JSON.parse(text).status;
  } catch {
    // not JSON: reported below with the raw answer
  }
  if (answer.status !== 200 || status !== 'UPDATED')
    throw new Error(`with the token: HTTP ${answer.status} ${text.slice(0, 300)}, expected 200 with status UPDATED`);
  console.log(`smoke-webhook: 401 without the token; 403 with a wrong one; 200 ${text.slice(0, 160)}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function until(timeoutMs, probe) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True while any process of the server's group is alive. */
function groupAlive() {
  try {
    process.kill(-server.pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop() {
  if (!server?.pid || !groupAlive()) return;
  process.kill(-server.pid, 'SIGTERM');
  if (await until(STOP_TIMEOUT_MS, () => !groupAlive())) return;
  console.log(`smoke-webhook: still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM: SIGKILL`);
  if (groupAlive()) process.kill(-server.pid, 'SIGKILL');
}

// Last resort when this process dies another way: never leave the group behind.
process.on('exit', () => {
  if (server?.pid && groupAlive()) process.kill(-server.pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void stop().finally(() => process.exit(130)));
}

let failure;
try {
  await main();
} catch (error) {
  failure = error;
}
await stop();
if (failure) {
  console.error(`smoke-webhook: FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
  console.error(`--- output of npm start -- --webhook ---\n${output}`);
  process.exitCode = 1;
} else {
  console.log('smoke-webhook: passed; server stopped');
}
