/** The bundles under comparison, the loopback emulators with a proxy for what they lack, and "Lambda containers". */
import { fork, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { GenesysEmulator } from '../../test/emulators/genesys';
import { LoopbackServer, readBody } from '../../test/emulators/loopback';
import { SecretsManagerEmulator } from '../../test/emulators/secrets-manager';

export const ROOT = path.resolve(__dirname, '../..');
export const log = (line: string): boolean => process.stderr.write(`${line}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How many runs of everything. A quick run's few measured warm flags would mostly measure the JIT warming up: `prewarm` first. */
export const COUNTS = {
  full: { initRuns: 25, firstFlagRuns: 10, profileRuns: 5, warmFlags: 2000, prewarm: 0, profileFlags: 1000, runs: 30, batches: 5, fleetFlags: 200 },
  quick: { initRuns: 6, firstFlagRuns: 2, profileRuns: 1, warmFlags: 300, prewarm: 200, profileFlags: 100, runs: 5, batches: 2, fleetFlags: 15 },
};
export type Options = typeof COUNTS.full & { latencyMs: number };

/** `inputs`: the esbuild metafile's bytes in the output per source file. */
export type Bundle = { file: string; map: string; bytes: number; inputs: Record<string, { bytesInOutput: number }> };
export type Bundles = Awaited<ReturnType<typeof buildBundles>>;

/**
 * Ours is dist/functions/data-action.mjs, what serverless.yml packages. The anchor is bundled with
 * the esbuild options scripts/build.mjs exports, without its plugins (an SDK user would not have
 * them) and with them. Ours is bundled so too: if dist/ differs, `npm run build` runs first.
 * The file names come from esbuild's metafile: the options decide the extension (an ES module's
 * .mjs), so both sides are whatever the project's build makes of them.
 */
export async function buildBundles(tmp: string) {
  const { buildOptions } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as { buildOptions: BuildOptions };
  const { plugins = [], ...options } = buildOptions;
  const bundle = async (entry: string, name: string, withPlugins: boolean): Promise<Bundle> => {
    const outdir = path.join(tmp, name);
    const { metafile } = await build({ ...options, plugins: withPlugins ? plugins : [], entryPoints: [path.join(ROOT, entry)], outdir, absWorkingDir: ROOT, metafile: true });
    const [out, output] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint) ?? [];
    if (!out || !output) throw new Error(`esbuild wrote no bundle for ${entry}`);
    const file = path.resolve(ROOT, out);
    return { file, map: `${file}.map`, bytes: readFileSync(file).length, inputs: output.inputs };
  };
  const fresh = await bundle('functions/data-action.ts', 'ours', true);
  // dist/ holds what scripts/build.mjs makes of the same entry: the same name as the fresh bundle.
  const distOf = (name: string): string => path.join(ROOT, 'dist/functions', `${name}${path.extname(fresh.file)}`);
  const dist = distOf('data-action');
  const shown = path.relative(ROOT, dist);
  const same = (): boolean => existsSync(dist) && readFileSync(dist).equals(readFileSync(fresh.file));
  let distNote = `${shown} is what scripts/build.mjs builds from the current sources`;
  if (!same()) {
    const why = existsSync(dist) ? 'was stale (it differs from a fresh build of the current sources)' : 'was missing';
    log(`${shown} ${why}: running npm run build ...`);
    const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
    distNote = `${shown} ${why}: ${same() ? 'the bench ran npm run build first' : "npm run build did not reproduce the bench's build of it (sources changing during the run?)"}`;
  }
  const [anchor, anchorPlugins] = [await bundle('bench/anchors/data-action-sdk.ts', 'anchor', false), await bundle('bench/anchors/data-action-sdk.ts', 'anchor-plugins', true)];
  const ours: Bundle = { ...fresh, file: dist, map: `${dist}.map`, bytes: readFileSync(dist).length };
  return { ours, events: distOf('events'), anchor, anchorPlugins, options, plugins: plugins.map((p) => p.name), distNote };
}

export type Lab = Awaited<ReturnType<typeof startLab>>;

export async function startLab(latencyMs: number) {
  const [clientId, clientSecret, secretName] = ['bench-client', 'bench-client-secret-7c1d', 'genesys/bench/credentials'];
  const genesys = await GenesysEmulator.start({ clients: { [clientId]: clientSecret }, latencyMs });
  const secrets = await SecretsManagerEmulator.start();
  secrets.put(secretName, JSON.stringify({ clientId, clientSecret, environment: 'mypurecloud.com' }));
  // The Secrets Manager emulator has no latency of its own.
  const secretsProxy = latencyMs > 0 ? await startProxy(secrets.url, { delayMs: latencyMs }) : undefined;
  // A scratch HOME: the SDK looks for ~/.genesyscloudjavascript/config.
  const home = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-home-'));
  return {
    genesys,
    secrets,
    /** A container's environment; `genesysUrl` puts e.g. a rate-limiting proxy in front of Genesys. */
    env: (extra: Record<string, string> = {}, genesysUrl = genesys.url): Record<string, string> => ({
      PATH: process.env.PATH ?? '', HOME: home, GENESYS_CREDENTIALS_SECRET_ID: secretName, GENESYS_API_BASE_URL: genesysUrl, GENESYS_LOGIN_BASE_URL: genesysUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsProxy?.url ?? secrets.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator-only',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_LAMBDA_FUNCTION_NAME: 'bench-data-action', LOG_LEVEL: 'info',
      FLAG_DEADLINE_MS: '8000', // serverless.yml's, for the data action
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
export const flagEvent = ({ conversationId, participantId }: { conversationId: string; participantId: string }): Record<string, unknown> => ({ conversationId, participantId, compliance_checked: true, verification_method: 'otp' });

/**
 * A loopback proxy that forwards everything unchanged (clients see the emulator's exact answers)
 * after `delayMs`. With `perWindow`, it plays Genesys's per-token rate limit: requests with a
 * bearer token are counted per token in a sliding window of `windowMs`; over it, the proxy answers
 * itself after `rejectDelayMs`: 429, a Genesys error body, Retry-After in whole seconds until the
 * oldest counted request leaves the window. Refused requests and the OAuth grant do not count.
 */
export async function startProxy(target: string, o: { delayMs?: number; rejectDelayMs?: number; perWindow?: number; windowMs?: number }) {
  const [stats, windows] = [{ forwarded: 0, throttled: 0, tokens: new Set<string>() }, new Map<string, number[]>()];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const { hostname, port, host } = new URL(target);
  const server = await LoopbackServer.listen(async (req, res) => {
    const [body, now, token] = [await readBody(req), Date.now(), req.headers.authorization?.match(/^Bearer (.+)/)?.[1]];
    if (token && o.perWindow && o.windowMs) {
      stats.tokens.add(token);
      const times = windows.get(token)?.filter((t) => t > now - (o.windowMs as number)) ?? [];
      windows.set(token, times);
      if (times.length >= o.perWindow) {
        stats.throttled += 1;
        if (o.rejectDelayMs) await sleep(o.rejectDelayMs);
        const seconds = Math.max(1, Math.ceil(((times[0] as number) + o.windowMs - now) / 1000));
        const message = `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(seconds), 'inin-correlation-id': randomUUID() });
        return void res.end(JSON.stringify({ message, code: 'too.many.requests', status: 429, messageWithParams: message, messageParams: {}, contextId: randomUUID(), details: [], errors: [] }));
      }
      times.push(now);
    }
    stats.forwarded += 1;
    if (o.delayMs) await sleep(o.delayMs);
    const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers: { ...req.headers, host }, agent }, (answer) => answer.pipe(res.writeHead(answer.statusCode ?? 502, answer.headers)));
    upstream.on('error', () => (res.headersSent ? res : res.writeHead(502)).end());
    upstream.end(body);
  });
  const reset = (): void => void Object.assign(stats, { forwarded: 0, throttled: 0 }).tokens.clear();
  return { url: server.url, stats, reset, close: (): Promise<void> => (agent.destroy(), server.close()) };
}

/** How a container flags with its handler (worker.cjs): one invocation, sleep-then-PATCH, or a 1 s loop. */
export type Mode = 'plain' | 'fixed-delay' | 'naive-retry';
export type Container = Awaited<ReturnType<typeof startContainer>>;

/**
 * A "Lambda container": worker.cjs in its own plain node process (no tsx; environment set before
 * the bundle is imported, as in Lambda), driven over IPC. It is ready once the import has settled,
 * top-level await included: for ours, the init's prefetch of secret and token. The emulators stay in the bench process,
 * so the container's process.cpuUsage() is the function's alone.
 */
export async function startContainer(bundle: string, env: Record<string, string>, timeoutMs = 10_000) {
  const child = fork(path.join(__dirname, 'worker.cjs'), [], { execArgv: [], env: { ...env, BENCH_BUNDLE: bundle, BENCH_TIMEOUT_MS: String(timeoutMs) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const pending = new Map<number, { resolve: (reply: never) => void; reject: (error: Error) => void }>();
  let [stderr, nextId] = ['', 1];
  child.stdout?.resume(); // the function's log lines, drained like Lambda's log pipe
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const initMs = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => {
      const error = new Error(`container ${path.basename(bundle)} exited (${code}): ${stderr}`);
      for (const p of pending.values()) p.reject(error);
      reject(error);
    });
    child.on('message', (m: { ready?: boolean; initMs: number; id: number; reply?: never; error?: string }) => {
      if (m.ready) return resolve(m.initMs);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error === undefined) p?.resolve(m.reply as never);
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
    flag: (event: unknown, mode: Mode = 'plain') => call<{ status: string; attempts: number; elapsedMs: number; wallMs: number }>('flag', { event, mode }),
    /** Flags one after the other, each timed alone; `profile`: write a V8 CPU profile of the loop there. */
    sequence: (events: unknown[], mode: Mode = 'plain', profile?: string) => call<{ cpuUs: number[]; wallMs: number[]; statuses: Record<string, number> }>('sequence', { events, mode, profile }),
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
