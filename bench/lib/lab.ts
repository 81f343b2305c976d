/** The bundles under comparison, the loopback emulators, a proxy for what they lack, and "Lambda containers". */
import { fork, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { LoopbackServer, readBody } from '../../test/emulators/loopback';
import { CLIENT_ID, emulatorEnv, GENESYS_ENVIRONMENT, startEmulators } from '../../test/support/emulator-env';

export const ROOT = path.resolve(__dirname, '../..');
/** serverless.yml's deadline for the data action, read where serverless.yml reads it. */
const DATA_ACTION_DEADLINE_MS = (
  JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts/timeouts.json'), 'utf8')) as { functionDeadlineMs: number }
).functionDeadlineMs;
export type Env = Record<string, string>;

/** [full, quick]; `prewarm`: a quick run's few warm flags would mostly time the JIT warming up. */
const COUNTS = {
  initRuns: [25, 6],
  firstFlagRuns: [10, 2],
  profileRuns: [5, 1],
  warmFlags: [2000, 300],
  prewarm: [0, 200],
  profileFlags: [1000, 100],
  runs: [30, 5],
  batches: [5, 2],
  fleetFlags: [200, 15],
  sharedSeconds: [60, 8],
};
export type Options = Record<keyof typeof COUNTS, number> & { latencyMs: number };
export const counts = (quick: boolean) =>
  Object.fromEntries(Object.entries(COUNTS).map(([k, v]) => [k, v[quick ? 1 : 0]])) as Omit<Options, 'latencyMs'>;

export type Bundle = ReturnType<typeof bundleOf>;
export type Bundles = Awaited<ReturnType<typeof buildBundles>>;

function bundleOf(metafile: Metafile, entry: string) {
  const [out, output] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === entry) ?? [];
  if (!out || !output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  const file = path.resolve(ROOT, out);
  return { file, map: `${file}.map`, bytes: statSync(file).size, inputs: output.inputs };
}

export async function buildBundles(tmp: string) {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
  const dist = JSON.parse(readFileSync(path.join(ROOT, 'dist/meta.json'), 'utf8')) as Metafile;
  const script = pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href;
  const { plugins = [], ...options } = ((await import(script)) as { buildOptions: BuildOptions }).buildOptions;
  const entry = 'bench/anchors/data-action-sdk.ts';
  const anchor = async (name: string, withPlugins: boolean) => {
    const o = { ...options, plugins: withPlugins ? plugins : [], entryPoints: [entry], outdir: path.join(tmp, name) };
    return bundleOf((await build({ ...o, absWorkingDir: ROOT, metafile: true })).metafile, entry);
  };
  return {
    ours: bundleOf(dist, 'functions/data-action.ts'),
    events: bundleOf(dist, 'functions/events.ts').file,
    anchor: await anchor('anchor', false),
    anchorPlugins: await anchor('anchor-plugins', true),
    options,
    plugins: plugins.map((p) => p.name),
  };
}

export type Lab = Awaited<ReturnType<typeof startLab>>;

/** The emulators; `tmp` holds the HOME where the SDK reads ~/.genesyscloudjavascript. */
export async function startLab(latencyMs: number, tmp: string) {
  const emulators = await startEmulators({ genesys: { latencyMs } });
  const { genesys, secrets } = emulators;
  // The Secrets Manager emulator has no latency of its own.
  const secretsProxy = latencyMs > 0 ? await startProxy(secrets.url, { delayMs: latencyMs }) : undefined;
  const home = path.join(tmp, 'home');
  mkdirSync(home);
  return {
    genesys,
    secrets,
    env: (extra: Env = {}, genesysUrl = genesys.url): Env => ({
      PATH: process.env.PATH ?? '',
      HOME: home,
      ...emulatorEnv({ genesys: genesysUrl, secrets: secretsProxy?.url ?? secrets.url }),
      AWS_LAMBDA_FUNCTION_NAME: 'bench-data-action',
      LOG_LEVEL: 'info',
      FLAG_DEADLINE_MS: String(DATA_ACTION_DEADLINE_MS),
      ...extra,
    }),
    /** A participant unknown (404) for `resolveAfterMs`; `event`: the data action's flat event. */
    conversation(resolveAfterMs = 0) {
      const [conversationId, participantId, createdAt] = [randomUUID(), randomUUID(), Date.now()];
      genesys.addConversation(conversationId, [
        { id: randomUUID(), purpose: 'ivr' },
        { id: participantId, purpose: 'customer', ...(resolveAfterMs ? { resolveAfterMs } : {}) },
      ]);
      const event = { conversationId, participantId, compliance_checked: true, verification_method: 'otp' };
      return { conversationId, participantId, createdAt, event };
    },
    requestCount: () => genesys.arrivals.length + secrets.requests.length,
    /** Token mode: a token secret holding a token the emulator issued, as the rotation would; returns its name. */
    tokenSecret(): string {
      const { accessToken, expiresAt } = genesys.issueToken(CLIENT_ID);
      const name = 'genesys/bench/token';
      const expires = new Date(expiresAt).toISOString();
      secrets.put(name, JSON.stringify({ accessToken, expiresAt: expires, environment: GENESYS_ENVIRONMENT }));
      return name;
    },
    close: () => Promise.all([emulators.close(), secretsProxy?.close()]),
  };
}

type ProxyOptions = { delayMs?: number; rejectDelayMs?: number; perWindow?: number; windowMs?: number };

/**
 * A loopback proxy forwarding everything after `delayMs`. With `perWindow`, Genesys's per-token rate limit: bearer
 * requests per token over a sliding `windowMs`; over it, after `rejectDelayMs`, 429 with Retry-After in whole seconds.
 */
export async function startProxy(target: string, o: ProxyOptions) {
  const stats = { forwarded: 0, throttled: 0, traced: 0, tokens: new Set<string>(), forwardedAt: [] as number[] };
  const [windows, agent] = [new Map<string, number[]>(), new http.Agent({ keepAlive: true, maxSockets: 256 })];
  const { hostname, port, host } = new URL(target);
  const server = await LoopbackServer.listen(async (req, res) => {
    const [body, now, token] = [await readBody(req), Date.now(), req.headers.authorization?.match(/^Bearer (.+)/)?.[1]];
    if (req.headers['x-amzn-trace-id']) stats.traced += 1;
    if (token && o.perWindow && o.windowMs) {
      stats.tokens.add(token);
      const times = windows.get(token)?.filter((t) => t > now - (o.windowMs as number)) ?? [];
      windows.set(token, times);
      if (times.length >= o.perWindow) {
        stats.throttled += 1;
        if (o.rejectDelayMs) await sleep(o.rejectDelayMs);
        const seconds = Math.max(1, Math.ceil(((times[0] as number) + o.windowMs - now) / 1000));
        const message = `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`;
        const headers = { 'content-type': 'application/json', 'retry-after': String(seconds) };
        res.writeHead(429, { ...headers, 'inin-correlation-id': randomUUID() });
        const error = { message, code: 'too.many.requests', status: 429, messageWithParams: message };
        const more = { messageParams: {}, contextId: randomUUID(), details: [], errors: [] };
        return res.end(JSON.stringify({ ...error, ...more }));
      }
      times.push(now);
    }
    stats.forwarded += 1;
    if (token) stats.forwardedAt.push(now);
    if (o.delayMs) await sleep(o.delayMs);
    const headers = { ...req.headers, host };
    const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers, agent });
    upstream.on('response', (answer) => answer.pipe(res.writeHead(answer.statusCode ?? 502, answer.headers)));
    upstream.on('error', () => (res.headersSent ? res : res.writeHead(502)).end());
    upstream.end(body);
  });
  const reset = () =>
    void Object.assign(stats, { forwarded: 0, throttled: 0, traced: 0, forwardedAt: [] }).tokens.clear();
  const close = () => {
    agent.destroy();
    return server.close();
  };
  return { url: server.url, stats, reset, close };
}

/** How a container flags with its handler (worker.cjs): one invocation, sleep-then-PATCH, or a 1 s loop. */
export type Mode = 'plain' | 'fixed-delay' | 'naive-retry';
type Reply = { ready?: boolean; initMs: number; id: number; reply?: never; error?: string };

/** A "Lambda container": worker.cjs in a node process, driven over IPC, ready once its import has settled. */
export async function startContainer(bundle: string, env: Env, timeoutMs = 10_000) {
  const child = fork(path.join(__dirname, 'worker.cjs'), [], {
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...env, BENCH_BUNDLE: bundle, BENCH_TIMEOUT_MS: String(timeoutMs) },
  });
  const pending = new Map<number, { resolve: (reply: never) => void; reject: (error: Error) => void }>();
  let [stderr, nextId] = ['', 1];
  child.stdout?.resume(); // the function's log lines, drained like Lambda's log pipe
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  // import() of the bundle, timed inside, top-level await (our prefetch) included.
  const initMs = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => {
      const error = new Error(`container ${path.basename(bundle)} exited (${code}): ${stderr}`);
      for (const p of [...pending.values(), { reject }]) p.reject(error);
    });
    child.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ready) resolve(m.initMs);
      else if (m.error === undefined) p?.resolve(m.reply as never);
      else p?.reject(new Error(m.error));
    });
  });
  const call = <T>(message: object) =>
    new Promise<T>((resolve, reject) => {
      pending.set(nextId, { resolve, reject });
      child.send({ ...message, id: nextId++ });
    });
  /** Flags one after the other, each timed alone (no IPC); `profile`: a V8 CPU profile of them, written there. */
  const sequence = (events: unknown[], mode: Mode = 'plain', profile?: string) =>
    call<{ cpuUs: number[]; wallMs: number[]; statuses: string[] }>({ op: 'sequence', events, mode, profile });
  return {
    initMs,
    sequence,
    flag: (event: unknown, mode: Mode = 'plain') =>
      sequence([event], mode).then(({ statuses, wallMs }) => ({ status: statuses[0], wallMs: wallMs[0] as number })),
    batch: (event: unknown) => call<{ failures: number; wallMs: number; lines: string[] }>({ op: 'batch', event }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit').once('exit', () => resolve());
        child.disconnect(); // worker.cjs exits
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}

/** A fresh container's first flag, after `idleMs` idle: `ms` is init + flag; the rest, the flag alone. */
export async function firstFlag(lab: Lab, file: string, env: Env, mode: Mode = 'plain', idleMs = 0) {
  const [before, container] = [lab.requestCount(), await startContainer(file, env)];
  if (idleMs) await sleep(idleMs);
  const [t, genesys, secrets] = [performance.now(), lab.genesys.arrivals.length, lab.secrets.requests.length];
  const { status, wallMs } = await container.flag(lab.conversation().event, mode);
  if (status !== 'UPDATED') throw new Error(`first flag in ${file} ended ${status}`);
  const [ms, sent] = [container.initMs + performance.now() - t, lab.genesys.arrivals.slice(genesys)];
  const patches = sent.filter((r) => r.route === 'patch-attributes').length;
  const [initRequests, secretReads] = [genesys + secrets - before, lab.secrets.requests.length - secrets];
  return { container, ms, wallMs, initRequests, genesys: sent.length, patches, secretReads };
}
