export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  formatX?: (x: number) => string;
  xTicks?: number[];
  width?: number;
  height?: number;
  emptyNote?: string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function niceTicks(min: number, max: number, n = 5): number[] {
  if (!(max > min)) return [min];
  const step = 10 ** Math.floor(Math.log10((max - min) / n));
  const mult = [1, 2, 5, 10].find((m) => (max - min) / (m * step) <= n) ?? 10;
  const s = mult * step;
  const out: number[] = [];
  for (let v = Math.ceil(min / s) * s; v <= max + 1e-9; v += s) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A plain SVG line chart: no script, no external assets, readable when the HTML file is mailed. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 320;
  const m = { l: 70, r: 150, t: 34, b: 48 };
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12"><text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(o.title)}</text>`;
  if (all.length === 0) return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#666">${esc(o.emptyNote ?? 'no data')}</text></svg>`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  const y1 = Math.max(...ys) <= 0 ? 1 : Math.max(...ys) * 1.05;
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / y1) * (H - m.t - m.b);
  const fmtX = o.formatX ?? ((x: number) => String(Number(x.toPrecision(4))));
  const parts = [head];
  for (const t of niceTicks(0, y1)) parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end">${Number(t.toPrecision(4))}</text>`);
  for (const t of o.xTicks ?? niceTicks(x0, x1)) if (t >= x0 && t <= x1) parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#f3f3f3"/><text x="${px(t)}" y="${H - m.b + 16}" text-anchor="middle">${esc(fmtX(t))}</text>`);
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text><text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts.length <= 30 ? pts : []) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + i * 18}" width="12" height="12" fill="${color}"/><text x="${W - m.r + 30}" y="${m.t + i * 18 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
