/** Part 5, what `tracing=true` (X-Ray active tracing) costs inside the function, by part 1's and part 2's methods. */
import path from 'node:path';
import { awsEnv } from '../../test/support/emulator-env';
import { startProxy, type Bundles, type Lab, type Options } from '../lib/lab';
import { fmt, mean, median, ms, percentile, prose, table, type Section } from '../lib/stats';
import { coldFlags, lambdaFolder, timeLoads } from './init';
import { cpuMs, warm, type Warm } from './warm';

/** What Lambda sets under active tracing; BENCH_XRAY_TRACE_HEADER: worker.cjs sets _X_AMZN_TRACE_ID per call. */
const XRAY = {
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
  BENCH_XRAY_TRACE_HEADER: '1',
};

export async function measureTracing(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  // No prefetch (the first flag reads the secret itself), through proxies that count X-Amzn-Trace-Id headers.
  const [root, sides] = [path.join(tmp, 'tracing'), [{}, XRAY]];
  const proxies = await Promise.all(sides.map(() => startProxy(lab.env().AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '', {})));
  const loads = proxies.map((p, i) =>
    lambdaFolder(
      root,
      i,
      bundles.ours,
      lab.env({
        FLAG_INIT_PREFETCH_MS: '0',
        ...awsEnv(p.url),
        ...sides[i],
      }),
    ),
  );
  const bareMs = timeLoads(loads, root, loads[0]?.env ?? {}, o.initRuns);
  for (const p of proxies) p.reset();
  const cold = await coldFlags(
    lab,
    o.firstFlagRuns,
    loads.map((l) => [l, l.env]),
  );
  await Promise.all(proxies.map((p) => p.close()));
  const warms: Warm[] = [];
  for (const xray of sides) warms.push(await warm(bundles.ours, lab.env(xray), lab, o));

  const row = (name: string, values: number[], show = (v: number) => ms(v)) => {
    const [off = 0, on = 0] = values;
    return [name, show(off), show(on), `${on < off ? '−' : '+'}${show(Math.abs(on - off))}`];
  };
  const warmRow = (name: string, f: (w: Warm) => number) => row(name, warms.map(f), (v) => ms(v, 3));
  return {
    title: '5. X-Ray active tracing (`tracing=true`), inside the function',
    lines: [
      ...table(
        ['', 'tracing off', 'tracing on', 'on − off'],
        [
          row(
            `init overhead (wall minus bare ${ms(bareMs)}), median of ${o.initRuns}`,
            loads.map((l) => median(l.wall) - bareMs),
          ),
          row(
            'import() inside the process, median',
            loads.map((l) => median(l.importMs)),
          ),
          row(
            `first flag in a fresh process (secret, token, PATCH in it), median of ${o.firstFlagRuns}`,
            cold.map((c) => median(c.map((f) => f.ms))),
          ),
          [
            'its Secrets Manager requests with X-Amzn-Trace-Id',
            ...proxies.map((p) => `${p.stats.traced} of ` + `${p.stats.forwarded}`),
            '',
          ],
          warmRow('CPU per warm flag p50', (w) => cpuMs(w, 50)),
          warmRow('CPU per warm flag mean', (w) => mean(w.cpuUs) / 1000),
          warmRow('wall per warm flag p50', (w) => percentile(w.wallMs, 50)),
          ['requests per warm flag', ...warms.map((w) => fmt(w.requests / o.warmFlags, 3)), ''],
        ],
      ),
      ...prose(`Our code has no X-Ray SDK, so inside the function active tracing changes only what Lambda sets:
        \`AWS_XRAY_CONTEXT_MISSING\` and \`AWS_XRAY_DAEMON_ADDRESS\` from the start and, per invocation,
        \`_X_AMZN_TRACE_ID\`, which the runtime client copies from the \`Lambda-Runtime-Trace-Id\` header (here the
        container sets a fresh \`Root=…;Parent=…;Sampled=1\`); the AWS SDK sends it on as \`X-Amzn-Trace-Id\` on
        Secrets Manager requests made inside an invocation. "Tracing on" sets all three, "off" none (Lambda may set some
        without active tracing too, so the difference is an upper bound). The first three rows run ours with
        FLAG_INIT_PREFETCH_MS=0: with its prefetch, ours reads the secret during init, before any trace header, and
        then only when the cache expires. The warm rows are part 2's method, one container after the other. Not
        measured, because the Lambda service does it outside the function: recording and sending the segments, any
        time that adds to an invocation as Lambda reports or bills it, and X-Ray's price per trace. A difference
        within the run-to-run noise of these rows is no measurable cost inside the function.`),
    ],
    targets: [],
  };
}
