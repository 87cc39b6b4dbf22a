// Charts drawn as plain SVG by our own code (no chart library, nothing
// fetched): a weekly bar-and-line chart, a trend line against a threshold,
// and a bar against a budget line. Sizes are in viewBox units; the SVG
// scales with its container.
import { s, h } from './dom.js';

// The axis' top: four equal steps of 1, 2 or 5 times a power of ten.
function niceMax(value) {
  if (!(value > 0)) return 4;
  const rough = value / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const step of [1, 2, 5, 10]) if (step * power >= rough) return Math.max(4, step * power * 4);
  return 40 * power;
}

// Weekly bars (left axis: counts) with a line (right axis: money).
// points: [{label, bar, line}]; formatLine formats the right axis' values.
export function weeklyChart(points, { barLabel, lineLabel, formatBar, formatLine, title, compact }) {
  // Compact (a phone): fewer viewBox units, so the text stays readable when scaled down.
  const width = compact ? 380 : 760, height = compact ? 220 : 260, left = 40, right = compact ? 52 : 70, top = 16, bottom = 34;
  const plotW = width - left - right, plotH = height - top - bottom;
  const maxBar = niceMax(Math.max(0, ...points.map((p) => p.bar)));
  const maxLine = niceMax(Math.max(0, ...points.map((p) => p.line || 0)));
  const slot = plotW / Math.max(points.length, 1);
  const barW = Math.max(4, Math.min(36, slot * 0.6));
  const y = (v, max) => top + plotH - (v / max) * plotH;
  const grid = [];
  for (let i = 0; i <= 4; i++) {
    const gy = top + (plotH * i) / 4;
    grid.push(s('line', { x1: left, x2: left + plotW, y1: gy, y2: gy, class: 'chart-grid' }));
    grid.push(s('text', { x: left - 6, y: gy + 4, class: 'chart-axis', 'text-anchor': 'end' }, formatBar(maxBar * (1 - i / 4))));
    grid.push(s('text', { x: left + plotW + 6, y: gy + 4, class: 'chart-axis chart-axis-line' }, formatLine(maxLine * (1 - i / 4))));
  }
  const labelEvery = Math.ceil(points.length / (compact ? 4 : 8));
  const bars = points.map((p, i) => {
    const x = left + slot * i + (slot - barW) / 2;
    const by = y(p.bar, maxBar);
    return s('g', { class: 'chart-bar-group' },
      s('rect', { x, y: by, width: barW, height: Math.max(0, top + plotH - by), rx: 2, class: 'chart-bar' },
        s('title', null, `${p.label}: ${formatBar(p.bar)} ${barLabel}, ${formatLine(p.line || 0)}`)),
      i % labelEvery === 0 || i === points.length - 1
        ? s('text', { x: x + barW / 2, y: height - 12, class: 'chart-axis', 'text-anchor': 'middle' }, p.label) : null);
  });
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${(left + slot * i + slot / 2).toFixed(1)},${y(p.line || 0, maxLine).toFixed(1)}`).join(' ');
  const dots = points.map((p, i) => s('circle', { cx: left + slot * i + slot / 2, cy: y(p.line || 0, maxLine), r: 3, class: 'chart-dot' }));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title },
    s('title', null, title), grid, bars, s('path', { d: path, class: 'chart-line' }), dots);
  const legend = h('div', { class: 'chart-legend' },
    h('span', { class: 'legend-item legend-bar' }, barLabel),
    h('span', { class: 'legend-item legend-line' }, lineLabel));
  return h('figure', { class: 'chart-figure' }, svg, legend);
}

// A trend line of rates (fractions, nulls leave gaps) with the threshold
// as a dashed line; the last point is marked.
export function trendChart(values, threshold, { title, status }) {
  const width = 360, height = 84, pad = 6;
  const known = values.filter((v) => v !== null && v !== undefined);
  const max = Math.max(threshold * 1.5, ...known, 1e-9) * 1.1;
  const x = (i) => pad + ((width - 2 * pad) * i) / Math.max(values.length - 1, 1);
  const y = (v) => height - pad - (v / max) * (height - 2 * pad);
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  });
  const last = values.length - 1;
  const lastValue = values[last];
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: `trend trend-${status}`, role: 'img', 'aria-label': title },
    s('title', null, title),
    s('line', { x1: pad, x2: width - pad, y1: y(threshold), y2: y(threshold), class: 'trend-threshold' }),
    s('path', { d: d.trim(), class: 'trend-line' }),
    lastValue !== null && lastValue !== undefined ? s('circle', { cx: x(last), cy: y(lastValue), r: 4, class: 'trend-dot' }) : null);
}

// A horizontal bar (a fraction) against a budget line (a fraction); the
// scale is the larger of the two with headroom. CSSOM widths (allowed by
// the CSP, unlike style attributes).
export function budgetBar(fraction, budget, label) {
  const scale = Math.max(fraction || 0, budget || 0, 1e-9) * 1.25;
  const fill = h('span', { class: `budget-fill${fraction > budget ? ' over' : ''}` });
  fill.style.width = `${Math.min(100, ((fraction || 0) / scale) * 100).toFixed(1)}%`;
  const line = h('span', { class: 'budget-line', title: label });
  line.style.left = `${Math.min(100, (budget / scale) * 100).toFixed(1)}%`;
  return h('span', { class: 'budget-bar', role: 'img', 'aria-label': label }, fill, line);
}

// A stacked horizontal bar of shares: parts [{name, value, label}].
export function stackedBar(parts, title) {
  const total = parts.reduce((sum, p) => sum + p.value, 0) || 1;
  const bar = h('div', { class: 'stack', role: 'img', 'aria-label': title });
  for (const p of parts) {
    if (!p.value) continue;
    const seg = h('span', { class: `stack-seg stack-${p.name}`, title: `${p.label}: ${p.value}` });
    seg.style.width = `${((p.value / total) * 100).toFixed(2)}%`;
    bar.append(seg);
  }
  return bar;
}
