/** Part 5, what `tracing=true` (X-Ray active tracing) costs inside the function, by part 1's and part 2's methods. */
import path from 'node:path';
import { startProxy, type Bundles, type Lab, type Options } from '../lib/lab';
import { fmt, interleave, mean, median, ms, percentile, prose, table, type Section } from '../lib/stats';
import { coldFlag, lambdaFolder, timeLoads } from './init';
import { cpuMs, warm, type Warm } from './warm';

/** Lambda's from the start under active tracing; BENCH_XRAY_TRACE_HEADER: worker.cjs sets _X_AMZN_TRACE_ID per call. */
const XRAY = {
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR', AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000', BENCH_XRAY_TRACE_HEADER: '1',
};

export async function measureTracing(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  // In front of Secrets Manager, to count the requests that carry X-Amzn-Trace-Id.
  const proxy = await startProxy(lab.env().AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '', {});
  // No prefetch: the init rows time loading the code (as in part 1), and the first flag reads the secret itself.
  const off = lab.env({ FLAG_INIT_PREFETCH_MS: '0', AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.url });
  const root = path.join(tmp, 'tracing');
  const on = lambdaFolder(root, 'on', bundles.ours, { ...off, ...XRAY });
  const loads = { off: lambdaFolder(root, 'off', bundles.ours, off), on };
  const bareMs = median(timeLoads([loads.off, loads.on], root, off, o.initRuns));
  const [first, reads] = [{ off: [] as number[], on: [] as number[] }, { off: [0, 0], on: [0, 0] }];
  for (const k of interleave(o.firstFlagRuns, ['off', 'on'] as const)) {
    proxy.reset();
    first[k].push((await coldFlag(lab, loads[k].entry, loads[k].env)).ms);
    reads[k] = [(reads[k][0] ?? 0) + proxy.stats.traced, (reads[k][1] ?? 0) + proxy.stats.forwarded];
  }
  await proxy.close();
  const warms = { off: await warm(bundles.ours, lab.env(), lab, o), on: await warm(bundles.ours, lab.env(XRAY), lab, o) };

  const row = (name: string, value: (k: 'off' | 'on') => number, show = (v: number): string => ms(v)): string[] => {
    const d = value('on') - value('off');
    return [name, show(value('off')), show(value('on')), `${d < 0 ? '−' : '+'}${show(Math.abs(d))}`];
  };
  const runs = `median of ${o.firstFlagRuns}`;
  const warmRow = (name: string, f: (w: Warm) => number): string[] => row(name, (k) => f(warms[k]), (v) => ms(v, 3));
  return {
    title: '5. X-Ray active tracing (`tracing=true`), inside the function',
    lines: [
      ...table(['', 'tracing off', 'tracing on', 'on − off'], [
        row(`init overhead (wall minus bare ${ms(bareMs)}), median of ${o.initRuns}`, (k) => median(loads[k].wall) - bareMs),
        row('import() inside the process, median', (k) => median(loads[k].importMs)),
        row(`first flag in a fresh process (secret, token, PATCH in it), ${runs}`, (k) => median(first[k])),
        ['its Secrets Manager requests with X-Amzn-Trace-Id', ...[reads.off, reads.on].map(([n, of]) => `${n} of ${of}`), ''],
        warmRow('CPU per warm flag p50', (w) => cpuMs(w, 50)),
        warmRow('CPU per warm flag mean', (w) => mean(w.cpuUs) / 1000),
        warmRow('wall per warm flag p50', (w) => percentile(w.wallMs, 50)),
        ['requests per warm flag', ...[warms.off, warms.on].map((w) => fmt(w.requests / o.warmFlags, 3)), ''],
      ]),
      '',
      prose(`Our code has no X-Ray SDK, so inside the function active tracing changes only what Lambda sets:
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
