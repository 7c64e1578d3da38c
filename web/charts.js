// Small SVG charts with a text alternative: each chart is an image with a label, and its numbers are
// also given in a table (in a <details>). No library: the charts are simple and must stay accessible.
const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#0b4f9c", "#b35900", "#1e7b34", "#6b3fa0"]; // each ≥ 4.5:1 on white

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

function titled(el, text) {
  el.append(svg("title", {}, text));
  return el;
}

function frame(width, height, label) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart", preserveAspectRatio: "xMidYMid meet" });
}

/** Vertical bars, one per item: [{label, value}]. */
export function barChart(items, label) {
  const W = 640, H = 220, pad = 32, max = Math.max(1, ...items.map((i) => i.value));
  const root = frame(W, H, label);
  const bw = (W - pad * 2) / Math.max(1, items.length);
  items.forEach((it, i) => {
    const bh = ((H - pad * 2) * it.value) / max;
    const x = pad + i * bw + bw * 0.15;
    root.append(titled(svg("rect", { x, y: H - pad - bh, width: bw * 0.7, height: Math.max(bh, 0.5), fill: COLOURS[0] }), `${it.label}: ${it.value}`));
    root.append(svg("text", { x: x + bw * 0.35, y: H - pad + 16, "text-anchor": "middle", "font-size": 12 }, it.label));
    root.append(svg("text", { x: x + bw * 0.35, y: H - pad - bh - 4, "text-anchor": "middle", "font-size": 12 }, String(it.value)));
  });
  return root;
}

/** Grouped vertical bars: categories on the x axis, one bar per series in each group, with a legend. */
export function groupedBars(categories, series, label) {
  const W = 640, H = 260, pad = 36, legend = 28;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const root = frame(W, H + legend, label);
  const gw = (W - pad * 2) / Math.max(1, categories.length);
  const bw = (gw * 0.8) / series.length;
  categories.forEach((c, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const bh = ((H - pad * 2) * v) / max;
      root.append(titled(svg("rect", { x: pad + i * gw + gw * 0.1 + j * bw, y: H - pad - bh, width: bw * 0.9, height: Math.max(bh, 0.5), fill: COLOURS[j % COLOURS.length] }), `${c} – ${s.name}: ${v}`));
    });
    if (categories.length <= 16 || i % Math.ceil(categories.length / 16) === 0) {
      root.append(svg("text", { x: pad + i * gw + gw / 2, y: H - pad + 16, "text-anchor": "middle", "font-size": 11 }, c));
    }
  });
  root.append(svg("line", { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: "#4a4a4a" }));
  root.append(svg("text", { x: 4, y: pad, "font-size": 11 }, String(max)));
  series.forEach((s, j) => {
    const x = pad + j * 170;
    root.append(svg("rect", { x, y: H + 6, width: 14, height: 14, fill: COLOURS[j % COLOURS.length] }));
    root.append(svg("text", { x: x + 20, y: H + 18, "font-size": 13 }, s.name));
  });
  return root;
}

/** Metropolitan France as proportional circles at each department's mean postal-code point. */
export function franceMap(items, points, label) {
  const W = 480, H = 480, lat0 = 51.3, lat1 = 41.2, lon0 = -5.3, lon1 = 9.8;
  const k = Math.cos((46.5 * Math.PI) / 180);
  const sx = (W - 20) / ((lon1 - lon0) * k), sy = (H - 20) / (lat0 - lat1), s = Math.min(sx, sy);
  const max = Math.max(1, ...items.map((i) => i.value));
  const root = frame(W, H, label);
  root.append(svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#f2f5f9" }));
  // Every department as a small dot, so the shape of the country shows even with few numbers.
  for (const [code, [lat, lon]] of Object.entries(points)) {
    if (lat < lat1 || lat > lat0 || lon < lon0 || lon > lon1) continue;
    root.append(titled(svg("circle", { cx: 10 + (lon - lon0) * k * s, cy: 10 + (lat0 - lat) * s, r: 2, fill: "#9aa5b1" }), code));
  }
  for (const it of items) {
    const p = points[it.code];
    if (!p || p[0] < lat1 || p[0] > lat0 || p[1] < lon0 || p[1] > lon1) continue;
    const r = 3 + 22 * Math.sqrt(it.value / max);
    root.append(titled(svg("circle", { cx: 10 + (p[1] - lon0) * k * s, cy: 10 + (lat0 - p[0]) * s, r, fill: "#0b4f9c", "fill-opacity": 0.6, stroke: "#0b4f9c" }), `${it.code}: ${it.value}`));
  }
  return root;
}

/** The numbers behind a chart, as a table inside a <details>. */
export function dataTable(headers, rows, summary) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const h of headers) { const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.append(th); }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((v, i) => {
      const cell = i === 0 ? document.createElement("th") : document.createElement("td");
      if (i === 0) cell.scope = "row";
      cell.textContent = String(v);
      tr.append(cell);
    });
  }
  const d = document.createElement("details");
  const s = document.createElement("summary");
  s.textContent = summary;
  d.append(s, table);
  return d;
}
