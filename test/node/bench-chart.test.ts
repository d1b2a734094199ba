/**
 * The logins picture (scripts/bench/chart.ts): a well-formed, self-contained SVG with every data point in it, and
 * the cost arithmetic (scripts/bench/cost.ts) the report prints next to it.
 */
import { describe, expect, it } from 'vitest';
import { chartPointsFrom, loginsChartSvg, type ChartPoint } from '../../scripts/bench/chart.ts';
import { costPerLogin, PRICES } from '../../scripts/bench/cost.ts';
import { cpuSplit } from '../../scripts/bench/stats.ts';
import type { MeterSnapshot } from '../../scripts/bench/instrumented-worker/meter.ts';
import type { LoginsResult } from '../../scripts/bench/logins.ts';

/**
 * Checks XML well-formedness strictly enough for a generated file: one root, tags nested and closed, attributes
 * quoted, no raw `<` or `&` outside markup. Returns the element names in document order.
 */
function parseXml(xml: string): { elements: string[]; attributes: Array<Record<string, string>>; texts: string[] } {
  const elements: string[] = [];
  const attributes: Array<Record<string, string>> = [];
  const texts: string[] = [];
  const stack: string[] = [];
  let rootClosed = false;
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(body))) {
    consumed = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = match;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) throw new Error(`raw & in text: ${text}`);
      if (text.trim()) {
        if (stack.length === 0) throw new Error(`text outside the root: ${text}`);
        texts.push(text);
      }
      continue;
    }
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
      if (stack.length === 0) rootClosed = true;
      continue;
    }
    if (rootClosed || (stack.length === 0 && elements.length > 0)) throw new Error(`a second root element <${name}>`);
    const parsed: Record<string, string> = {};
    for (const [, key, value] of attrs!.matchAll(/([A-Za-z_:][\w:.-]*)="([^"]*)"/g)) {
      if (key! in parsed) throw new Error(`attribute ${key} twice on <${name}>`);
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(value!)) throw new Error(`raw & in attribute ${key}`);
      parsed[key!] = value!;
    }
    elements.push(name!);
    attributes.push(parsed);
    if (!selfClosing) stack.push(name!);
  }
  if (consumed !== body.length) throw new Error(`not well-formed at: ${body.slice(consumed, consumed + 60)}`);
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return { elements, attributes, texts };
}

const POINTS: ChartPoint[] = [
  { logins: 200, p50Ms: 550, p99Ms: 1_040, cpuPerPollMs: 3.56, intervalSeconds: 5, approveWindowSeconds: [5, 60] },
  { logins: 1000, p50Ms: 5_160, p99Ms: 9_090, cpuPerPollMs: 6.91, intervalSeconds: 5, approveWindowSeconds: [5, 60] },
  { logins: 5000, p50Ms: 21_300, p99Ms: 48_700, cpuPerPollMs: 8.02, intervalSeconds: 5, approveWindowSeconds: [5, 60] },
];

describe('the logins chart', () => {
  const svg = loginsChartSvg(POINTS, { note: 'seed 7 & 2 cores <test>' });
  const xml = parseXml(svg);

  it('is one well-formed SVG document', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
    expect(xml.elements[0]).toBe('svg');
    expect(xml.attributes[0]).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', viewBox: expect.stringMatching(/^0 0 \d+ \d+$/) });
    expect(() => parseXml('<svg><g></svg>')).toThrow(); // the checker itself rejects broken XML
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow();
  });

  it('holds every data point, as a marker and as text', () => {
    const points = xml.attributes.filter((a) => a.class === 'point');
    expect(points).toHaveLength(POINTS.length * 3);
    for (const p of POINTS) {
      expect(points).toContainEqual(expect.objectContaining({ 'data-series': 'p50', 'data-logins': String(p.logins), 'data-value': String(p.p50Ms / 1000) }));
      expect(points).toContainEqual(expect.objectContaining({ 'data-series': 'p99', 'data-logins': String(p.logins), 'data-value': String(p.p99Ms / 1000) }));
      expect(points).toContainEqual(expect.objectContaining({ 'data-series': 'cpu', 'data-logins': String(p.logins), 'data-value': String(p.cpuPerPollMs) }));
      expect(xml.texts).toContain(String(p.logins)); // x tick label
    }
    expect(xml.texts).toEqual(expect.arrayContaining(['0.55 s', '9.09 s', '48.70 s', '3.56 ms', '8.02 ms']));
    expect(xml.elements.filter((e) => e === 'polyline')).toHaveLength(3);
  });

  it('has readable axis labels and the budget line', () => {
    expect(xml.texts).toEqual(expect.arrayContaining(['concurrent logins (log scale)', 'seconds', 'ms of CPU per poll', 'p99 budget: interval + 1 s = 6 s']));
    expect(xml.texts.some((t) => t.includes('interval 5 s, approvals 5–60 s') && t.includes('seed 7 &amp; 2 cores &lt;test&gt;'))).toBe(true);
    const fontSizes = xml.attributes.map((a) => Number(a['font-size'] ?? 13));
    expect(Math.min(...fontSizes)).toBeGreaterThanOrEqual(12);
  });

  it('refers to nothing outside itself and runs nothing', () => {
    expect(xml.elements).not.toContain('script');
    expect(xml.elements).not.toContain('image');
    expect(xml.elements).not.toContain('foreignObject');
    expect(svg).not.toMatch(/href|url\(|@import|javascript:|\son[a-z]+=/i);
    expect(svg.match(/https?:\/\//g)).toEqual(['http://']); // the SVG namespace only
  });

  it('draws a single run, and leaves out a value that is not a number', () => {
    const one = parseXml(loginsChartSvg([{ ...POINTS[0]!, p99Ms: Number.NaN }]));
    const points = one.attributes.filter((a) => a.class === 'point');
    expect(points.map((a) => a['data-series']).sort()).toEqual(['cpu', 'p50']);
    expect(() => loginsChartSvg([])).toThrow();
  });

  it('takes its points from logins results, sorted by the number of logins', () => {
    const result = (logins: number, cpuMs: number, polls: number) =>
      ({ logins, intervalSeconds: 5, approveWindowSeconds: [5, 60], approvalToEditMs: { p50: 1, p99: 2, max: 3, mean: 1 }, workerCpuMs: cpuMs, polls: { total: polls } }) as unknown as LoginsResult;
    expect(chartPointsFrom([result(1000, 500, 100), result(200, 90, 30)]).map((p) => [p.logins, p.cpuPerPollMs])).toEqual([
      [200, 3],
      [1000, 5],
    ]);
  });
});

describe('the cost per login', () => {
  const counters = (o: Partial<MeterSnapshot['durableObjects']>): MeterSnapshot => ({
    isolate: 'x',
    objects: 10,
    constructions: 10,
    activeObjects: 0,
    durableObjects: {
      gets: 0, puts: 0, deletes: 0, deleteAlls: 0, lists: 0, getAlarms: 0, setAlarms: 0, deleteAlarms: 0, sqlExecs: 0,
      localOnlySqlExecs: 0, transactions: 0, rowsRead: 0, rowsWritten: 0, writeCalls: 0, commits: 0, requests: 0,
      byMethod: {}, alarms: 0, alarmRetries: 0, activeMs: 0, singleFetchAlarmRuns: {}, ...o,
    },
    worker: { requests: 11, byPath: { '/': 1, '/interactions': 10 } },
    d1: { durableObjects: { queries: 30, batches: 10, rowsRead: 10, rowsWritten: 30, withoutMeta: 0 }, worker: { queries: 0, batches: 0, rowsRead: 0, rowsWritten: 0, withoutMeta: 0 } },
    outbound: { 'http://g': { 'POST /device/login_status': 80, 'GET /me': 10 }, 'http://d': { 'PATCH /x': 20 }, 'http://elsewhere': { 'GET /': 5 } },
    turns: 0,
    backstopTurns: 0,
  });

  it('divides by the completed logins and prices each unit at the list price', () => {
    const cost = costPerLogin({
      counters: counters({ requests: 10, alarms: 110, rowsWritten: 400, rowsRead: 300, commits: 170, writeCalls: 400, activeMs: 5_000 }),
      completed: 10,
      graphPolls: 80,
      providerOrigin: 'http://g',
      discordOrigin: 'http://d',
      workerProcessCpuMs: 250,
    });
    expect(cost).toMatchObject({
      doRequests: 12, rpcCalls: 1, alarmRuns: 11, rowsWritten: 40, rowsRead: 30, commits: 17, commitsPerPoll: 170 / 80,
      activeSeconds: 0.5, providerRequests: 9, discordRequests: 2, otherRequests: 0.5, d1Queries: 3, d1RowsWritten: 3,
      d1RowsRead: 1, workerRequests: 1, workerCpuMsUpperBound: 25,
    });
    const d = cost.dollarsPerMillionLogins;
    expect(d.doRequests).toBeCloseTo(12 * 0.15);
    expect(d.doDuration).toBeCloseTo(0.5 * 0.128 * 12.5); // 0.5 s at 128 MB = 0.064 GB-s per login
    expect(d.doRowsWritten).toBeCloseTo(40);
    expect(d.doRowsRead).toBeCloseTo(0.03);
    expect(d.d1RowsWritten).toBeCloseTo(3);
    expect(d.workerRequests).toBeCloseTo(0.3);
    expect(d.workerCpu).toBeCloseTo(0.5);
    expect(d.total).toBeCloseTo(1.8 + 0.8 + 40 + 0.03 + 3 + 0.001 + 0.3 + 0.5);
    expect(cost.prices).toBe(PRICES);
  });
});

describe('the CPU split (fixed per login, marginal per poll)', () => {
  it('recovers the two costs exactly from runs that differ in polls per login', () => {
    // 10 ms per login and 1.2 ms per poll, at 1.9 and 11.8 polls per login.
    const runs = [
      { logins: 1000, polls: 1900, cpuMs: 1000 * 10 + 1900 * 1.2 },
      { logins: 1000, polls: 11800, cpuMs: 1000 * 10 + 11800 * 1.2 },
    ];
    const split = cpuSplit(runs);
    expect(split.fixedMsPerLogin).toBeCloseTo(10, 9);
    expect(split.marginalMsPerPoll).toBeCloseTo(1.2, 9);
  });

  it('refuses runs that cannot separate the two (the same polls per login)', () => {
    expect(() => cpuSplit([{ logins: 100, polls: 700, cpuMs: 2000 }, { logins: 200, polls: 1400, cpuMs: 4100 }])).toThrow(/different polls per login/);
  });
});
