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

const SHADES = ["#eef3f9", "#c6d7ec", "#8fb0d9", "#4a7fbf", "#0b4f9c"]; // no data, then four classes
const OVERSEAS = [["971", "Guadeloupe"], ["972", "Martinique"], ["973", "Guyane"], ["974", "La Réunion"], ["976", "Mayotte"]];

/** The departments of France, shaded by `value` in four classes with a legend: metropolitan France drawn
 *  from `shapes` (france-departments.json), the overseas departments as labelled insets. Each department
 *  is focusable and says its name and figure (`describe(name, code, value)`), which `onFocus` also gets. */
export function departmentMap(items, shapes, { label, describe, legend, onFocus }) {
  const values = new Map(items.map((i) => [i.code, i.value]));
  const max = Math.max(1, ...items.map((i) => i.value));
  // Up to four classes, bounded by quarters of the largest figure (rounded up; fewer classes when the
  // figures are small), the darkest for the largest.
  const bounds = [...new Set([1, 2, 3, 4].map((q) => Math.ceil((max * q) / 4)))];
  const classShades = SHADES.slice(SHADES.length - bounds.length);
  const shade = (v) => (v ? classShades[bounds.findIndex((b) => v <= b)] : SHADES[0]);
  const [, , w, h] = shapes.viewBox.split(" ").map(Number);
  const inset = 64, H = h + inset + 40;
  const root = svg("svg", { viewBox: `0 0 ${w} ${H}`, role: "group", "aria-label": label, class: "chart map" });
  const add = (el, code, name) => {
    const v = values.get(code) ?? 0;
    const text = describe(name, code, v);
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", text);
    el.setAttribute("class", "dept");
    el.addEventListener("focus", () => onFocus?.(text));
    root.append(titled(el, text));
  };
  for (const d of shapes.locations) {
    add(svg("path", { d: d.path, fill: shade(values.get(d.id) ?? 0), stroke: "#5b6673", "stroke-width": 0.5 }), d.id, d.name);
  }
  OVERSEAS.forEach(([code, name], n) => {
    const x = 10 + n * ((w - 20) / OVERSEAS.length), y = h + 10, size = 40;
    add(svg("rect", { x, y, width: size, height: size, fill: shade(values.get(code) ?? 0), stroke: "#5b6673", "stroke-width": 0.5 }), code, name);
    root.append(svg("text", { x: x + size + 4, y: y + size / 2 + 4, "font-size": 12, fill: "#1a1a1a", "aria-hidden": "true" }, code));
  });
  // The legend: what each shade means.
  const range = (lo, hi) => (lo === hi ? `${hi}` : `${lo}–${hi}`);
  const ranges = [[legend.none, SHADES[0]], ...bounds.map((b, i) => [range(i ? bounds[i - 1] + 1 : 1, b), classShades[i]])];
  ranges.forEach(([text, fill], i) => {
    const x = 10 + i * ((w - 20) / 5), y = H - 24;
    root.append(svg("rect", { x, y, width: 16, height: 16, fill, stroke: "#5b6673", "stroke-width": 0.5, "aria-hidden": "true" }));
    root.append(svg("text", { x: x + 20, y: y + 13, "font-size": 12, fill: "#1a1a1a", "aria-hidden": "true" }, text));
  });
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
