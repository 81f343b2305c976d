/** The bundles under comparison, the loopback emulators, a proxy for what they lack, and "Lambda containers". */
import { fork, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { GenesysEmulator } from '../../test/emulators/genesys';
import { LoopbackServer, readBody } from '../../test/emulators/loopback';
import { SecretsManagerEmulator } from '../../test/emulators/secrets-manager';

export const ROOT = path.resolve(__dirname, '../..');
export type Env = Record<string, string>;

/** [full, quick]. A quick run's few warm flags would mostly time the JIT warming up, hence its `prewarm`. */
const COUNTS = {
  initRuns: [25, 6], firstFlagRuns: [10, 2], profileRuns: [5, 1], warmFlags: [2000, 300], prewarm: [0, 200],
  profileFlags: [1000, 100], runs: [30, 5], batches: [5, 2], fleetFlags: [200, 15],
} satisfies Record<string, [number, number]>;
export type Options = Record<keyof typeof COUNTS, number> & { latencyMs: number };
export const counts = (quick: boolean): Omit<Options, 'latencyMs'> =>
  Object.fromEntries(Object.entries(COUNTS).map(([k, v]) => [k, v[quick ? 1 : 0]])) as Omit<Options, 'latencyMs'>;

/** `inputs`: the esbuild metafile's bytes in the output per source file. */
export type Bundle = { file: string; map: string; bytes: number; inputs: Record<string, { bytesInOutput: number }> };
export type Bundles = Awaited<ReturnType<typeof buildBundles>>;

function bundleOf(metafile: Metafile, entry: string): Bundle {
  const [out, output] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === entry) ?? [];
  if (!out || !output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  const file = path.resolve(ROOT, out);
  return { file, map: `${file}.map`, bytes: statSync(file).size, inputs: output.inputs };
}

/** Ours: what `npm run build` writes to dist/. The anchor: scripts/build.mjs's options, without and with plugins. */
export async function buildBundles(tmp: string) {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
  const dist = JSON.parse(readFileSync(path.join(ROOT, 'dist/meta.json'), 'utf8')) as Metafile;
  const script = pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href;
  const { plugins = [], ...options } = ((await import(script)) as { buildOptions: BuildOptions }).buildOptions;
  const entry = 'bench/anchors/data-action-sdk.ts';
  const anchor = async (name: string, withPlugins: boolean): Promise<Bundle> => {
    const o = { ...options, plugins: withPlugins ? plugins : [], entryPoints: [entry], outdir: path.join(tmp, name) };
    return bundleOf((await build({ ...o, absWorkingDir: ROOT, metafile: true })).metafile, entry);
  };
  const [ours, events] = [bundleOf(dist, 'functions/data-action.ts'), bundleOf(dist, 'functions/events.ts').file];
  const [anchorBundle, anchorPlugins] = [await anchor('anchor', false), await anchor('anchor-plugins', true)];
  return { ours, events, anchor: anchorBundle, anchorPlugins, options, plugins: plugins.map((p) => p.name) };
}

export type Lab = Awaited<ReturnType<typeof startLab>>;

export async function startLab(latencyMs: number) {
  const [clientId, clientSecret, secretName] = ['bench-client', 'bench-secret-7c1d', 'genesys/bench/credentials'];
  const genesys = await GenesysEmulator.start({ clients: { [clientId]: clientSecret }, latencyMs });
  const secrets = await SecretsManagerEmulator.start();
  secrets.put(secretName, JSON.stringify({ clientId, clientSecret, environment: 'mypurecloud.com' }));
  // The Secrets Manager emulator has no latency of its own. A scratch HOME: the SDK reads ~/.genesyscloudjavascript.
  const secretsProxy = latencyMs > 0 ? await startProxy(secrets.url, { delayMs: latencyMs }) : undefined;
  const home = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-home-'));
  return {
    genesys,
    secrets,
    /** A container's environment; `genesysUrl` puts e.g. a rate-limiting proxy in front of Genesys. */
    env: (extra: Env = {}, genesysUrl = genesys.url): Env => ({
      PATH: process.env.PATH ?? '', HOME: home, GENESYS_CREDENTIALS_SECRET_ID: secretName,
      GENESYS_API_BASE_URL: genesysUrl, GENESYS_LOGIN_BASE_URL: genesysUrl, AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsProxy?.url ?? secrets.url,
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator-only',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_LAMBDA_FUNCTION_NAME: 'bench-data-action',
      LOG_LEVEL: 'info', FLAG_DEADLINE_MS: '8000', // serverless.yml's deadline, for the data action
      ...extra,
    }),
    /** A conversation whose customer participant is unknown to the API (404) until `resolveAfterMs` from now. */
    conversation(resolveAfterMs = 0) {
      const [conversationId, participantId, createdAt] = [randomUUID(), randomUUID(), Date.now()];
      genesys.addConversation(conversationId, [
        { id: randomUUID(), purpose: 'ivr' },
        { id: participantId, purpose: 'customer', ...(resolveAfterMs ? { resolveAfterMs } : {}) },
      ]);
      return { conversationId, participantId, createdAt };
    },
    /** Requests received so far, Genesys and Secrets Manager. */
    requestCount: (): number => genesys.arrivals.length + secrets.requests.length,
    async close(): Promise<void> {
      await Promise.all([genesys.close(), secrets.close(), secretsProxy?.close()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The event an Architect data action sends: the flat form. */
export const flagEvent = ({ conversationId, participantId }: { conversationId: string; participantId: string }) =>
  ({ conversationId, participantId, compliance_checked: true, verification_method: 'otp' }) as Record<string, unknown>;

type ProxyOptions = { delayMs?: number; rejectDelayMs?: number; perWindow?: number; windowMs?: number };

/**
 * A loopback proxy forwarding everything unchanged after `delayMs`. With `perWindow`, Genesys's per-token rate limit:
 * bearer requests counted per token over a sliding `windowMs`; over it, after `rejectDelayMs`, 429 with Retry-After
 * (whole seconds until the oldest counted request leaves the window). Refused requests and OAuth grants do not count.
 */
export async function startProxy(target: string, o: ProxyOptions) {
  const stats = { forwarded: 0, throttled: 0, traced: 0, tokens: new Set<string>() };
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
        return tooManyRequests(res, Math.max(1, Math.ceil(((times[0] as number) + o.windowMs - now) / 1000)));
      }
      times.push(now);
    }
    stats.forwarded += 1;
    if (o.delayMs) await sleep(o.delayMs);
    const headers = { ...req.headers, host };
    const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers, agent });
    upstream.on('response', (answer) => answer.pipe(res.writeHead(answer.statusCode ?? 502, answer.headers)));
    upstream.on('error', () => (res.headersSent ? res : res.writeHead(502)).end());
    upstream.end(body);
  });
  const reset = (): void => void Object.assign(stats, { forwarded: 0, throttled: 0, traced: 0 }).tokens.clear();
  return { url: server.url, stats, reset, close: (): Promise<void> => (agent.destroy(), server.close()) };
}

function tooManyRequests(res: http.ServerResponse, seconds: number): void {
  const message = `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`;
  const body = { message, code: 'too.many.requests', status: 429, messageWithParams: message, messageParams: {} };
  const headers = { 'content-type': 'application/json', 'retry-after': String(seconds) };
  res.writeHead(429, { ...headers, 'inin-correlation-id': randomUUID() });
  res.end(JSON.stringify({ ...body, contextId: randomUUID(), details: [], errors: [] }));
}

/** How a container flags with its handler (worker.cjs): one invocation, sleep-then-PATCH, or a 1 s loop. */
export type Mode = 'plain' | 'fixed-delay' | 'naive-retry';
export type Container = Awaited<ReturnType<typeof startContainer>>;
type Reply = { ready?: boolean; initMs: number; id: number; reply?: never; error?: string };
type Sequence = { cpuUs: number[]; wallMs: number[]; statuses: Record<string, number> };
type Pending = { resolve: (reply: never) => void; reject: (error: Error) => void };

/**
 * A "Lambda container": worker.cjs in a plain node process, driven over IPC, ready once the import has settled
 * (top-level await included). The emulators stay in this process: its process.cpuUsage() is the function's alone.
 */
export async function startContainer(bundle: string, env: Env, timeoutMs = 10_000) {
  const child = fork(path.join(__dirname, 'worker.cjs'), [], {
    execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...env, BENCH_BUNDLE: bundle, BENCH_TIMEOUT_MS: String(timeoutMs) },
  });
  const pending = new Map<number, Pending>();
  let [stderr, nextId] = ['', 1];
  child.stdout?.resume(); // the function's log lines, drained like Lambda's log pipe
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
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
  const call = <T>(op: string, message: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      pending.set(nextId, { resolve, reject });
      child.send({ ...message, op, id: nextId++ });
    });
  return {
    /** How long import() of the bundle took inside the container, top-level await (our prefetch) included. */
    initMs,
    /** `wallMs`: handler call to result, timed inside the container (no IPC). */
    flag: (event: unknown, mode: Mode = 'plain') =>
      call<{ status: string; attempts: number; elapsedMs: number; wallMs: number }>('flag', { event, mode }),
    /** Flags one after the other, each timed alone; `profile`: write a V8 CPU profile of the loop there. */
    sequence: (events: unknown[], mode: Mode = 'plain', profile?: string) =>
      call<Sequence>('sequence', { events, mode, profile }),
    batch: (event: unknown) => call<{ failures: number; wallMs: number; lines: string[] }>('batch', { event }),
    close: (): Promise<void> =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit').once('exit', () => resolve());
        child.send({ op: 'exit' });
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}
