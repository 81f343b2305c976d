/** Part 3, time to flag after the participant resolves (404 until then): three approaches, each in a container. */
import { setTimeout as sleep } from 'node:timers/promises';
import { firstFlag, type Bundles, type Lab, type Mode, type Options } from '../lib/lab';
import { fmt, interleave, mean, percentile, prose, table, type Section } from '../lib/stats';

const DELAYS = [0, 250, 500, 1000, 2000, 4000];
/** Exact round delays would let a 1 s loop poll the very millisecond a 1, 2 or 4 s participant appears. */
export const JITTER = 0.1;
const FIXED_DELAY_MS = 2000; // as in worker.cjs

type Point = { delay: number; lags: number[]; attempts: number[] };
type LagSeries = { label: string; color: string; points: Point[] };
const flagged = (lags: number[]) => (100 * lags.filter((l) => l !== Infinity).length) / lags.length;
const delay = (d: number) => (d >= 1000 ? `${d / 1000} s` : `${d} ms`);

export async function measureLag(b: Bundles, lab: Lab, o: Options): Promise<Section> {
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
  const cells = ({ lags, attempts }: Point) => [
    `${fmt(percentile(lags, 50))} / ${fmt(percentile(lags, 95))}`,
    `${fmt(mean(attempts), 1)} / ${fmt(Math.max(...attempts))}`,
    `${fmt(flagged(lags))} %`,
  ];
  const p95 = ours.map((p) => percentile(p.lags, 95));
  const [worst, attempts] = [Math.max(...p95), ours.flatMap((p) => p.attempts)];
  const most = Math.max(...attempts);
  // Share flagged at the delays the fixed delay cannot wait out.
  const beyond = (points: Point[]) => flagged(points.filter((p) => p.delay > FIXED_DELAY_MS).flatMap((p) => p.lags));
  const header = ['resolve delay', 'ours lag p50 / p95 (ms)', 'ours attempts mean / max', 'ours flagged'];
  header.push('fixed delay lag p50 / p95', 'fixed attempts', 'fixed flagged');
  header.push('SDK + loop lag p50 / p95', 'SDK + loop attempts', 'SDK + loop flagged');
  const rows = DELAYS.map((d, i) => [delay(d), ...[ours, fixed, naive].flatMap((points) => cells(points[i] as Point))]);
  const over = `${attempts.filter((a) => a > 12).length} of ${attempts.length}`;
  const longest = `mean at the longest delay ${fmt(mean(ours.at(-1)?.attempts ?? []), 1)}`;
  return {
    title: '3. Time to flag after the participant resolves',
    lines: [
      ...table(header, rows),
      ...prose(`${o.runs} runs per delay and approach; delays jittered ±${JITTER * 100} %; deadline 8 s for ours and
        the loop. Lag "never": that percentile did not flag.`),
      ...prose('![lag after the participant resolves, by resolve delay](lag.svg)'),
    ],
    targets: [
      [
        'p95 lag at every delay',
        '≤ 600 ms',
        `worst ${fmt(worst)} ms (at ${DELAYS[p95.indexOf(worst)]} ms)`,
        worst <= 600,
      ],
      ['attempts per flag', '≤ 12', `max ${fmt(most)}; ${over} flags over 12 (${longest})`, most <= 12],
      [
        `flagged where the fixed delay fails (delay > ${FIXED_DELAY_MS} ms)`,
        '100 %',
        `${fmt(beyond(ours), 1)} % (fixed delay: ${fmt(beyond(fixed), 1)} %)`,
        beyond(ours) === 100,
      ],
    ],
    svg: (subtitle) => lagChart(series, subtitle),
  };
}

/** Runs of all delays in random order, started 20 ms apart: side by side only shortens the bench. */
async function run(file: string, mode: Mode, lab: Lab, runs: number): Promise<Point[]> {
  const { container } = await firstFlag(lab, file, lab.env());
  const [flaggedAt, attempts] = [new Map<string, number>(), new Map<string, number>()];
  lab.genesys.onRequest = ({ conversationId: id, route, status }) => {
    if (!id || (route !== 'patch-attributes' && route !== 'get-conversation')) return;
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const applied = route === 'patch-attributes' && status >= 200 && status < 300;
    if (applied && !flaggedAt.has(id)) flaggedAt.set(id, Date.now());
  };
  const plan = interleave(
    1,
    DELAYS.flatMap((d) => Array<number>(runs).fill(d)),
  );
  const done = await Promise.all(
    plan.map(async (d, order) => {
      await sleep(order * 20);
      const actual = Math.max(0, Math.round(d * (1 + JITTER * (2 * Math.random() - 1))));
      const { conversationId: id, createdAt, event } = lab.conversation(actual);
      await container.flag(event, mode);
      const at = flaggedAt.get(id);
      const lag = at === undefined ? Infinity : Math.max(0, at - createdAt - actual);
      return { d, lag, attempts: attempts.get(id) ?? 0 };
    }),
  );
  lab.genesys.onRequest = undefined;
  await container.close();
  return DELAYS.map((d) => {
    const mine = done.filter((r) => r.d === d);
    return { delay: d, lags: mine.map((r) => r.lag), attempts: mine.map((r) => r.attempts) };
  });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x}" y="${y}" ${attrs}>${esc(s)}</text>`;
const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
  `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" ${attrs}/>`;
const dot = (cx: number, cy: number, r: number, fill: string) =>
  `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`;
const [AXIS, MIDDLE, DASHED] = ['stroke="#333"', 'text-anchor="middle"', 'stroke-dasharray="6 4"'];

/** bench/lag.svg: lag by resolve delay, p50 solid with dots, p95 dashed; a percentile that never flagged: a cross. */
function lagChart(series: LagSeries[], subtitle: string[]): string {
  const [x0, y0, w, h] = [70, 84, 760, 344];
  const [x1, y1] = [x0 + w, y0 + h];
  const quantiles = series.flatMap((s) => s.points.flatMap((p) => [percentile(p.lags, 50), percentile(p.lags, 95)]));
  const yMax = Math.ceil((Math.max(600, ...quantiles.filter(Number.isFinite)) * 1.08) / 250) * 250;
  const x = (d: number) => Math.round(10 * (x0 + (d / Math.max(...DELAYS)) * w)) / 10;
  const y = (v: number) => Math.round(10 * (y1 - (Math.min(v, yMax) / yMax) * h)) / 10;
  const out = [
    '<svg xmlns="http://www.w3.org/2000/svg" width="860" height="540" viewBox="0 0 860 540" ' +
      'font-family="Helvetica, Arial, sans-serif" font-size="12">',
    '<rect width="860" height="540" fill="#ffffff"/>',
    text(x0, 24, 'Lag from participant resolved to participant flagged', 'font-size="16" font-weight="bold"'),
    ...subtitle.map((s, i) => text(x0, 46 + i * 16, s, 'fill="#555"')),
  ];
  for (let v = 0; v <= yMax; v += yMax <= 1000 ? 100 : yMax <= 2500 ? 250 : 500) {
    out.push(line(x0, y(v), x1, y(v), 'stroke="#e5e5e5"'), text(x0 - 8, y(v) + 4, `${v}`, 'text-anchor="end"'));
  }
  for (const d of DELAYS) {
    out.push(line(x(d), y0, x(d), y1, 'stroke="#f0f0f0"'), text(x(d), y1 + 16, delay(d).replace(' ms', ''), MIDDLE));
  }
  out.push(
    line(x0, y(600), x1, y(600), 'stroke="#1a7f37" stroke-dasharray="2 3"'),
    text(x0 + 6, y(600) - 4, 'target: ours p95 ≤ 600 ms', 'fill="#1a7f37" font-size="11"'),
    line(x0, y1, x1, y1, AXIS) + line(x0, y0, x0, y1, AXIS),
    text(x0 + w / 2, y1 + 38, 'participant resolve delay after the flag was requested (ms)', MIDDLE),
    `<text transform="translate(18 ${y0 + h / 2}) rotate(-90)" text-anchor="middle">lag (ms)</text>`,
  );
  let [crosses, lx] = [0, x0];
  for (const { label, color, points } of series) {
    for (const [q, dash] of [
      [50, ''],
      [95, DASHED],
    ] as const) {
      const at = (p: Point) => percentile(p.lags, q);
      const drawn = points.filter((p) => Number.isFinite(at(p))).map((p) => [x(p.delay), y(at(p))] as const);
      const curve = `<path d="M${drawn.join(' L')}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>`;
      if (drawn.length) out.push(curve);
      out.push(...drawn.map(([cx, cy]) => dot(cx, cy, q === 50 ? 3.5 : 2.5, color)));
      // One cross per point that never flagged (p95 only if p50 did), stacked down from the top edge.
      for (const p of points.filter((p) => at(p) === Infinity && (q === 50 || percentile(p.lags, 50) < Infinity))) {
        const [cx, cy, right] = [x(p.delay), y0 + 6 + 13 * crosses++, x(p.delay) > x0 + w * 0.6];
        const cross = `M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}`;
        const note = `${label.split(' (')[0]}: p${q} never (${Math.round(flagged(p.lags))} % flagged)`;
        const attrs = `text-anchor="${right ? 'end' : 'start'}" fill="${color}" font-size="10"`;
        out.push(`<path d="${cross}" stroke="${color}" stroke-width="2"/>`);
        out.push(text(cx + (right ? -8 : 8), cy + 4, note, attrs));
      }
    }
    const legend = line(lx, y1 + 64, lx + 26, y1 + 64, `stroke="${color}" stroke-width="2"`);
    out.push(legend + dot(lx + 13, y1 + 64, 3.5, color), text(lx + 32, y1 + 68, label));
    lx += 40 + label.length * 6.4;
  }
  const never = 'that percentile never flagged (the run ended at the deadline, or after its one PATCH)';
  out.push(
    line(x0, y1 + 86, x0 + 26, y1 + 86, `${AXIS} stroke-width="2"`) + text(x0 + 32, y1 + 90, 'p50'),
    line(x0 + 70, y1 + 86, x0 + 96, y1 + 86, `${AXIS} stroke-width="2" ${DASHED}`) + text(x0 + 102, y1 + 90, 'p95'),
    text(x0 + 140, y1 + 90, `✕ on the top edge: ${never}`, 'fill="#555" font-size="11"'),
    '</svg>\n',
  );
  return out.join('\n');
}
