/**
 * The logins benchmark as a picture: approval-to-edit latency (p50, p99) and Worker CPU per Graph poll against
 * the number of concurrent logins, one point per run. A self-contained SVG: no script, no external reference
 * (fonts are the viewer's generic sans-serif), every value also written as text next to its point.
 */
import type { LoginsResult } from './logins.ts';

export interface ChartPoint {
  logins: number;
  p50Ms: number;
  p99Ms: number;
  cpuPerPollMs: number;
  intervalSeconds: number;
  approveWindowSeconds: [number, number];
}

export function chartPointsFrom(results: readonly LoginsResult[]): ChartPoint[] {
  return results
    .map((r) => ({
      logins: r.logins,
      p50Ms: r.approvalToEditMs.p50,
      p99Ms: r.approvalToEditMs.p99,
      cpuPerPollMs: r.workerCpuMs / Math.max(1, r.polls.total),
      intervalSeconds: r.intervalSeconds,
      approveWindowSeconds: r.approveWindowSeconds,
    }))
    .sort((a, b) => a.logins - b.logins);
}

const WIDTH = 1000;
const HEIGHT = 470;
const PANEL = { top: 92, height: 290, width: 380 };
const LEFT_X = 90;
const RIGHT_X = 590;
const COLORS = { p50: '#1f5fa8', p99: '#c0392b', cpu: '#23853a', budget: '#777777', axis: '#333333', grid: '#dddddd' };

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fixed = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A round step (1, 2 or 5 × 10^k) giving about five ticks up to at least `max`. */
function ticks(max: number): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const rough = top / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const count = Math.ceil(top / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attributes ? ` ${attributes}` : ''}>${escapeXml(content)}</text>`;
}

interface Series {
  name: string;
  label: string;
  color: string;
  dash?: string;
  /** Value labels under the markers (the lower series), so that two series' labels do not collide. */
  labelsBelow?: boolean;
  values: Array<{ logins: number; value: number; label: string }>;
}

/** One panel: axes, grid, optional budget line, series with markers and value labels. */
function panel(x0: number, title: string, yLabel: string, loginsValues: number[], series: Series[], budget?: { value: number; label: string }): string {
  const { top, height, width } = PANEL;
  const bottom = top + height;
  const all = series.flatMap((s) => s.values.map((v) => v.value)).concat(budget ? [budget.value] : []);
  const yTicks = ticks(Math.max(...all.filter(Number.isFinite), 0) * 1.1);
  const yMax = yTicks[yTicks.length - 1]!;
  const y = (value: number) => bottom - (value / yMax) * height;
  const distinct = [...new Set(loginsValues)].sort((a, b) => a - b);
  const [lo, hi] = [Math.log10(distinct[0] ?? 1), Math.log10(distinct[distinct.length - 1] ?? 1)];
  const x = (logins: number) => (hi === lo ? x0 + width / 2 : x0 + 30 + ((Math.log10(logins) - lo) / (hi - lo)) * (width - 60));
  const out: string[] = [`<g class="panel">`, text(x0 + width / 2, top - 22, title, 'text-anchor="middle" font-size="15" font-weight="bold"')];
  for (const tick of yTicks) {
    out.push(`<line x1="${x0}" y1="${y(tick).toFixed(1)}" x2="${x0 + width}" y2="${y(tick).toFixed(1)}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    out.push(text(x0 - 8, y(tick) + 4, fixed(tick), 'text-anchor="end"'));
  }
  out.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${bottom}" stroke="${COLORS.axis}" stroke-width="1.5"/>`);
  out.push(`<line x1="${x0}" y1="${bottom}" x2="${x0 + width}" y2="${bottom}" stroke="${COLORS.axis}" stroke-width="1.5"/>`);
  for (const logins of distinct) {
    out.push(`<line x1="${x(logins).toFixed(1)}" y1="${bottom}" x2="${x(logins).toFixed(1)}" y2="${bottom + 6}" stroke="${COLORS.axis}"/>`);
    out.push(text(x(logins), bottom + 22, String(logins), 'text-anchor="middle"'));
  }
  out.push(text(x0 + width / 2, bottom + 46, 'concurrent logins (log scale)', 'text-anchor="middle"'));
  out.push(text(x0 - 58, top + height / 2, yLabel, `text-anchor="middle" transform="rotate(-90 ${x0 - 58} ${top + height / 2})"`));
  if (budget) {
    out.push(`<line x1="${x0}" y1="${y(budget.value).toFixed(1)}" x2="${x0 + width}" y2="${y(budget.value).toFixed(1)}" stroke="${COLORS.budget}" stroke-width="1.5" stroke-dasharray="2 4"/>`);
  }
  const rightmost = distinct[distinct.length - 1];
  for (const s of series) {
    const points = s.values.filter((v) => Number.isFinite(v.value));
    if (points.length > 1) {
      const path = points.map((v) => `${x(v.logins).toFixed(1)},${y(v.value).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    }
    for (const v of points) {
      // Labels sit beside their marker, towards the inside of the panel, above it (or below for the lower series).
      const last = v.logins === rightmost && distinct.length > 1;
      const lx = x(v.logins) + (last ? -9 : 9);
      const ly = y(v.value) + (s.labelsBelow ? 18 : -9);
      out.push(
        `<g class="point" data-series="${s.name}" data-logins="${v.logins}" data-value="${v.value}">` +
          `<circle cx="${x(v.logins).toFixed(1)}" cy="${y(v.value).toFixed(1)}" r="4.5" fill="${s.color}"/>` +
          text(lx, ly, v.label, `fill="${s.color}" font-size="12" font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke"${last ? ' text-anchor="end"' : ''}`) +
          `</g>`,
      );
    }
  }
  const legend = series.map((s) => ({ label: s.label, color: s.color, dash: s.dash, width: '2.5' }));
  if (budget) legend.push({ label: budget.label, color: COLORS.budget, dash: '2 4', width: '1.5' });
  legend.forEach((entry, i) => {
    const ly = top + 14 + i * 20;
    out.push(`<line x1="${x0 + 12}" y1="${ly - 4}" x2="${x0 + 40}" y2="${ly - 4}" stroke="${entry.color}" stroke-width="${entry.width}"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ''}/>`);
    out.push(text(x0 + 46, ly, entry.label, `fill="${entry.color}"`));
  });
  out.push('</g>');
  return out.join('\n');
}

export interface ChartOptions {
  /** A line under the title, e.g. the machine and the seeds. */
  note?: string;
}

export function loginsChartSvg(points: readonly ChartPoint[], options: ChartOptions = {}): string {
  if (points.length === 0) throw new Error('no logins results to draw');
  const logins = points.map((p) => p.logins);
  const intervals = [...new Set(points.map((p) => p.intervalSeconds))];
  const windows = [...new Set(points.map((p) => p.approveWindowSeconds.join('–')))];
  const setting = `interval ${intervals.join(' / ')} s, approvals ${windows.join(' / ')} s after each code`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const latency = panel(
    LEFT_X,
    'Approval → "Logged in as" edit',
    'seconds',
    logins,
    [
      { name: 'p50', label: 'p50', color: COLORS.p50, labelsBelow: true, values: points.map((p) => ({ logins: p.logins, value: p.p50Ms / 1000, label: seconds(p.p50Ms) })) },
      { name: 'p99', label: 'p99', color: COLORS.p99, dash: '7 4', values: points.map((p) => ({ logins: p.logins, value: p.p99Ms / 1000, label: seconds(p.p99Ms) })) },
    ],
    intervals.length === 1 ? { value: intervals[0]! + 1, label: `p99 budget: interval + 1 s = ${intervals[0]! + 1} s` } : undefined,
  );
  const cpu = panel(RIGHT_X, 'Worker CPU per Graph poll', 'ms of CPU per poll', logins, [
    { name: 'cpu', label: 'all login work ÷ Graph polls', color: COLORS.cpu, values: points.map((p) => ({ logins: p.logins, value: p.cpuPerPollMs, label: `${p.cpuPerPollMs.toFixed(2)} ms` })) },
  ]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="13" fill="#222222">`,
    `<title>Logins at scale: approval-to-edit latency and CPU per poll against concurrent logins</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 28, 'Logins at scale under wrangler dev (npm run bench)', 'text-anchor="middle" font-size="18" font-weight="bold"'),
    text(WIDTH / 2, 50, setting + (options.note ? `; ${options.note}` : ''), 'text-anchor="middle" fill="#555555"'),
    latency,
    cpu,
    '</svg>',
    '',
  ].join('\n');
}
