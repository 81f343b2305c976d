/**
 * The lag chart (bench/lag.svg): lag after the participant resolves versus the resolve delay, for
 * the three approaches; p50 solid with dots, p95 dashed. A percentile that never flagged is drawn
 * as a cross on the top edge, with the share flagged written beside it.
 */
import type { LagSeries } from '../parts/lag';
import { percentile } from './stats';

const COLORS: Record<LagSeries['key'], string> = { ours: '#1a7f37', fixed: '#c0392b', naive: '#2f6fbf' };

export function lagChart(series: LagSeries[], subtitle: string[]): string {
  const width = 860;
  const height = 540;
  const m = { left: 70, right: 30, top: 84, bottom: 112 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const delays = series[0]?.points.map((p) => p.delay) ?? [];
  const xMax = Math.max(...delays, 1);
  const finite = series.flatMap((s) => s.points.flatMap((p) => [percentile(p.lags, 50), percentile(p.lags, 95)])).filter(Number.isFinite);
  const yMax = niceCeil(Math.max(600, ...finite) * 1.08);
  const x = (d: number): number => m.left + (d / xMax) * plotW;
  const y = (v: number): number => m.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="24" font-size="16" font-weight="bold">Lag from participant resolved to participant flagged</text>`);
  subtitle.forEach((line, i) => out.push(`<text x="${m.left}" y="${46 + i * 16}" fill="#555">${escape(line)}</text>`));

  // grid and axes
  for (const v of ticks(yMax)) {
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#333">${v}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(600)}" y2="${y(600)}" stroke="#1a7f37" stroke-dasharray="2 3" opacity="0.6"/>`);
  out.push(`<text x="${m.left + 6}" y="${y(600) - 4}" fill="#1a7f37" font-size="11">target: ours p95 ≤ 600 ms</text>`);
  for (const d of delays) {
    out.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x(d)}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#333" font-size="11">${d >= 1000 ? `${d / 1000} s` : d}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 38}" text-anchor="middle">participant resolve delay after the flag was requested (ms)</text>`);
  out.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">lag (ms)</text>`);

  // series
  let crosses = 0;
  for (const s of series) {
    const color = COLORS[s.key];
    for (const [p, dash, radius] of [
      [50, '', 3.5],
      [95, '6 4', 2.5],
    ] as const) {
      const points = s.points.map((pt) => ({ d: pt.delay, v: percentile(pt.lags, p), share: pt.flagged / pt.lags.length }));
      let path = '';
      for (const pt of points) {
        if (!Number.isFinite(pt.v)) continue;
        path += `${path ? 'L' : 'M'}${x(pt.d).toFixed(1)},${y(pt.v).toFixed(1)} `;
      }
      if (path) out.push(`<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`);
      for (const pt of points) {
        if (Number.isFinite(pt.v)) {
          out.push(`<circle cx="${x(pt.d).toFixed(1)}" cy="${y(pt.v).toFixed(1)}" r="${radius}" fill="${color}"/>`);
        } else if (p === 50 || Number.isFinite(percentile(s.points.find((sp) => sp.delay === pt.d)?.lags ?? [], 50))) {
          const cx = x(pt.d);
          const cy = m.top + 6 + 13 * crosses;
          crosses += 1;
          const right = cx > m.left + plotW * 0.6;
          out.push(`<path d="M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}" stroke="${color}" stroke-width="2"/>`);
          out.push(`<text x="${right ? cx - 8 : cx + 8}" y="${cy + 4}" text-anchor="${right ? 'end' : 'start'}" fill="${color}" font-size="10">${escape(s.label.split(' (')[0] ?? s.label)}: p${p} never (${Math.round(pt.share * 100)} % flagged)</text>`);
        }
      }
    }
  }

  // legend, under the axis title
  let lx = m.left;
  const ly = m.top + plotH + 64;
  for (const s of series) {
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${COLORS[s.key]}" stroke-width="2"/>`);
    out.push(`<circle cx="${lx + 13}" cy="${ly}" r="3.5" fill="${COLORS[s.key]}"/>`);
    out.push(`<text x="${lx + 32}" y="${ly + 4}">${escape(s.label)}</text>`);
    lx += 40 + s.label.length * 6.4;
  }
  const ly2 = ly + 22;
  out.push(`<line x1="${m.left}" x2="${m.left + 26}" y1="${ly2}" y2="${ly2}" stroke="#333" stroke-width="2"/><text x="${m.left + 32}" y="${ly2 + 4}">p50</text>`);
  out.push(`<line x1="${m.left + 70}" x2="${m.left + 96}" y1="${ly2}" y2="${ly2}" stroke="#333" stroke-width="2" stroke-dasharray="6 4"/><text x="${m.left + 102}" y="${ly2 + 4}">p95</text>`);
  out.push(`<text x="${m.left + 140}" y="${ly2 + 4}" fill="#555" font-size="11">✕ on the top edge: that percentile never flagged (the run ended at the deadline, or after its one PATCH)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeil(v: number): number {
  const step = v <= 1000 ? 100 : v <= 3000 ? 250 : 500;
  return Math.ceil(v / step) * step;
}

function ticks(yMax: number): number[] {
  const step = yMax <= 1000 ? 100 : yMax <= 2500 ? 250 : 500;
  const out: number[] = [];
  for (let v = 0; v <= yMax; v += step) out.push(v);
  return out;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
