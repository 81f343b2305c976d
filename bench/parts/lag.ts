/**
 * Part 3, time to flag after the participant resolves: three approaches, each in its own warm container, on
 * conversations whose participant is unknown to the API (404) until a delay after the flag is requested.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { flagEvent, startContainer, type Bundles, type Lab, type Mode, type Options } from '../lib/lab';
import { fmt, mean, percentile, prose, shuffle, table, type Section } from '../lib/stats';

const DELAYS = [0, 250, 500, 1000, 2000, 4000];
/** Exact round delays would let a 1 s loop poll the very millisecond a 1, 2 or 4 s participant appears. */
export const JITTER = 0.1;
const FIXED_DELAY_MS = 2000; // as in worker.cjs

type Point = { delay: number; lags: number[]; attempts: number[] };
export type LagSeries = { label: string; color: string; points: Point[] };
const flagged = (lags: number[]): number => lags.filter((l) => l !== Infinity).length;

export async function measureLag(b: Bundles, lab: Lab, o: Options): Promise<{ section: Section; series: LagSeries[] }> {
  const approaches = [
    ['ours', '#1a7f37', b.ours.file, 'plain'],
    ['fixed delay (sleep 2 s, PATCH once)', '#c0392b', b.anchor.file, 'fixed-delay'],
    ['SDK + 1 s retry loop', '#2f6fbf', b.anchor.file, 'naive-retry'],
  ] as const;
  const series: LagSeries[] = [];
  for (const [label, color, file, mode] of approaches) {
    series.push({ label, color, points: await run(file, mode, lab, o.runs) });
  }
  const [ours, fixed, naive] = series.map((s) => s.points) as [Point[], Point[], Point[]];
  const cells = ({ lags, attempts }: Point): string[] => [
    `${fmt(percentile(lags, 50))} / ${fmt(percentile(lags, 95))}`,
    `${fmt(mean(attempts), 1)} / ${fmt(Math.max(...attempts))}`,
    `${fmt((100 * flagged(lags)) / lags.length)} %`,
  ];
  const p95 = ours.map((p) => percentile(p.lags, 95));
  const [worst, attempts] = [Math.max(...p95), ours.flatMap((p) => p.attempts)];
  const most = Math.max(...attempts);
  // Share flagged at the delays the fixed delay cannot wait out.
  const beyond = (points: Point[]): number => {
    const lags = points.filter((p) => p.delay > FIXED_DELAY_MS).flatMap((p) => p.lags);
    return (100 * flagged(lags)) / Math.max(1, lags.length);
  };
  const header = ['resolve delay', 'ours lag p50 / p95 (ms)', 'ours attempts mean / max', 'ours flagged'];
  header.push('fixed delay lag p50 / p95', 'fixed attempts', 'fixed flagged');
  header.push('SDK + loop lag p50 / p95', 'SDK + loop attempts', 'SDK + loop flagged');
  const rows = DELAYS.map((d, i) => [
    d >= 1000 ? `${d / 1000} s` : `${d} ms`,
    ...[ours, fixed, naive].flatMap((points) => cells(points[i] as Point)),
  ]);
  const over = `${attempts.filter((a) => a > 12).length} of ${attempts.length}`;
  const longest = `mean at the longest delay ${fmt(mean(ours.at(-1)?.attempts ?? []), 1)}`;
  const section: Section = {
    title: '3. Time to flag after the participant resolves',
    lines: [
      ...table(header, rows),
      '',
      prose(`${o.runs} runs per delay and approach; delays jittered ±${JITTER * 100} %; deadline 8 s for ours and the
        loop. Lag "never": that percentile did not flag.`),
    ],
    targets: [
      ['p95 lag at every delay', '≤ 600 ms', `worst ${fmt(worst)} ms (at ${DELAYS[p95.indexOf(worst)]} ms)`, worst <= 600],
      ['attempts per flag', '≤ 12', `max ${fmt(most)}; ${over} flags over 12 (${longest})`, most <= 12],
      [`flagged where the fixed delay fails (delay > ${FIXED_DELAY_MS} ms)`, '100 %',
        `${fmt(beyond(ours), 1)} % (fixed delay: ${fmt(beyond(fixed), 1)} %)`, beyond(ours) === 100],
    ],
  };
  return { section, series };
}

/**
 * Runs of all delays in random order, started 20 ms apart, so they overlap: a data action container
 * serves one call at a time, but running them side by side only shortens the bench. Lag = when the
 * emulator applied the PATCH minus when the participant resolved; attempts = conversation requests.
 */
async function run(file: string, mode: Mode, lab: Lab, runs: number): Promise<Point[]> {
  console.error(`  ${mode}: ${runs} runs x ${DELAYS.length} delays`);
  const container = await startContainer(file, lab.env());
  const [flaggedAt, attempts] = [new Map<string, number>(), new Map<string, number>()];
  lab.genesys.onRequest = ({ conversationId: id, route, status }) => {
    if (!id || (route !== 'patch-attributes' && route !== 'get-conversation')) return;
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const applied = route === 'patch-attributes' && status >= 200 && status < 300;
    if (applied && !flaggedAt.has(id)) flaggedAt.set(id, Date.now());
  };
  const warm = await container.flag(flagEvent(lab.conversation()));
  if (warm.status !== 'UPDATED') throw new Error(`warm-up flag ended ${warm.status}`);
  const plan = shuffle(DELAYS.flatMap((delay) => Array<number>(runs).fill(delay)));
  const done = await Promise.all(
    plan.map(async (delay, order) => {
      await sleep(order * 20);
      const actual = Math.max(0, Math.round(delay * (1 + JITTER * (2 * Math.random() - 1))));
      const ids = lab.conversation(actual);
      await container.flag(flagEvent(ids), mode);
      const at = flaggedAt.get(ids.conversationId);
      const lag = at === undefined ? Infinity : Math.max(0, at - ids.createdAt - actual);
      return { delay, lag, attempts: attempts.get(ids.conversationId) ?? 0 };
    }),
  );
  lab.genesys.onRequest = undefined;
  await container.close();
  return DELAYS.map((delay) => {
    const mine = done.filter((d) => d.delay === delay);
    return { delay, lags: mine.map((d) => d.lag), attempts: mine.map((d) => d.attempts) };
  });
}

/** bench/lag.svg: lag by resolve delay, p50 solid with dots, p95 dashed; a percentile that never flagged: a cross. */
export function lagChart(series: LagSeries[], subtitle: string[]): string {
  const [left, top, plotW, plotH] = [70, 84, 760, 344];
  const quantiles = series.flatMap((s) => s.points.flatMap((p) => [percentile(p.lags, 50), percentile(p.lags, 95)]));
  const yMax = Math.ceil((Math.max(600, ...quantiles.filter(Number.isFinite)) * 1.08) / 250) * 250;
  const x = (d: number): number => Math.round(10 * (left + (d / Math.max(...DELAYS)) * plotW)) / 10;
  const y = (v: number): number => Math.round(10 * (top + plotH - (Math.min(v, yMax) / yMax) * plotH)) / 10;
  const text = (tx: number, ty: number, s: string, attrs = ''): string =>
    `<text x="${tx}" y="${ty}" ${attrs}>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`;
  const line = (x1: number, y1: number, x2: number, y2: number, attrs: string): string =>
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" ${attrs}/>`;
  const dot = (cx: number, cy: number, r: number, fill: string): string =>
    `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`;
  const out = [
    '<svg xmlns="http://www.w3.org/2000/svg" width="860" height="540" viewBox="0 0 860 540" ' +
      'font-family="Helvetica, Arial, sans-serif" font-size="12">',
    '<rect width="860" height="540" fill="#ffffff"/>',
    text(left, 24, 'Lag from participant resolved to participant flagged', 'font-size="16" font-weight="bold"'),
    ...subtitle.map((s, i) => text(left, 46 + i * 16, s, 'fill="#555"')),
  ];
  for (let v = 0; v <= yMax; v += yMax <= 1000 ? 100 : yMax <= 2500 ? 250 : 500) {
    out.push(line(left, y(v), left + plotW, y(v), 'stroke="#e5e5e5"'));
    out.push(text(left - 8, y(v) + 4, `${v}`, 'text-anchor="end"'));
  }
  for (const d of DELAYS) {
    out.push(line(x(d), top, x(d), top + plotH, 'stroke="#f0f0f0"'));
    out.push(text(x(d), top + plotH + 16, d >= 1000 ? `${d / 1000} s` : `${d}`, 'text-anchor="middle"'));
  }
  const [axis, middle] = ['stroke="#333"', 'text-anchor="middle"'];
  out.push(
    line(left, y(600), left + plotW, y(600), 'stroke="#1a7f37" stroke-dasharray="2 3"'),
    text(left + 6, y(600) - 4, 'target: ours p95 ≤ 600 ms', 'fill="#1a7f37" font-size="11"'),
    line(left, top + plotH, left + plotW, top + plotH, axis) + line(left, top, left, top + plotH, axis),
    text(left + plotW / 2, top + plotH + 38, 'participant resolve delay after the flag was requested (ms)', middle),
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">lag (ms)</text>`,
  );
  let [crosses, lx] = [0, left];
  for (const { label, color, points } of series) {
    for (const [q, dash] of [[50, ''], [95, 'stroke-dasharray="6 4"']] as const) {
      const at = (p: Point): number => percentile(p.lags, q);
      const drawn = points.filter((p) => Number.isFinite(at(p))).map((p) => [x(p.delay), y(at(p))] as const);
      const path = `<path d="M${drawn.join(' L')}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>`;
      if (drawn.length) out.push(path);
      out.push(...drawn.map(([cx, cy]) => dot(cx, cy, q === 50 ? 3.5 : 2.5, color)));
      // One cross per point that never flagged (p95 only if p50 did), stacked down from the top edge.
      const never = points.filter((p) => at(p) === Infinity && (q === 50 || Number.isFinite(percentile(p.lags, 50))));
      for (const p of never) {
        const [cx, cy, right] = [x(p.delay), top + 6 + 13 * crosses++, x(p.delay) > left + plotW * 0.6];
        const share = Math.round((100 * flagged(p.lags)) / p.lags.length);
        const cross = `M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}`;
        out.push(`<path d="${cross}" stroke="${color}" stroke-width="2"/>`);
        const anchor = `text-anchor="${right ? 'end' : 'start'}" fill="${color}" font-size="10"`;
        const note = `${label.split(' (')[0]}: p${q} never (${share} % flagged)`;
        out.push(text(right ? cx - 8 : cx + 8, cy + 4, note, anchor));
      }
    }
    const ly = top + plotH + 64;
    out.push(line(lx, ly, lx + 26, ly, `stroke="${color}" stroke-width="2"`) + dot(lx + 13, ly, 3.5, color));
    out.push(text(lx + 32, ly + 4, label));
    lx += 40 + label.length * 6.4;
  }
  const ly = top + plotH + 86;
  const never = 'on the top edge: that percentile never flagged (the run ended at the deadline, or after its one PATCH)';
  out.push(
    line(left, ly, left + 26, ly, `${axis} stroke-width="2"`) + text(left + 32, ly + 4, 'p50'),
    line(left + 70, ly, left + 96, ly, `${axis} stroke-width="2" stroke-dasharray="6 4"`) + text(left + 102, ly + 4, 'p95'),
    text(left + 140, ly + 4, `✕ ${never}`, 'fill="#555" font-size="11"'),
    '</svg>\n',
  );
  return out.join('\n');
}
