//! The HTML report: one self-contained page (no network fetches) with the trace trees
//! drawn as SVG, each trace's listing a click away, the timeline of events and the
//! summary.
//!
//! The page carries the log's traces as JSON and draws everything with its own script,
//! so the output stays proportional to the log. A tree is drawn root first, its side
//! traces to the right of the exits they grew from (edges labelled with the exit and how
//! often it was taken, wider and redder the hotter), links to other traces as dashed
//! edges and loops back to the trace's own header as arcs. A trace's listing puts each
//! recorded bytecode instruction beside the IR recorded for it, then LOOP's copy of the
//! body, the exits and the machine code. `#trace=N` opens trace N's listing. Opening
//! the page with `#selftest` makes it check itself (clicks the first trace, counts what
//! it drew, whether the IR is grouped by bytecode instruction, and any script errors)
//! and write the result into the element `#selftest`, for headless browser tests.

use crate::log::{Event, Trace};
use crate::text::{self, Filter};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The page for `events`.
pub fn render(events: &[Event], filter: &Filter) -> String {
    let counts: HashMap<u64, (u64, &Vec<u64>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Counts(c) => Some((c.trace, (c.entries, &c.exits))),
            _ => None,
        })
        .collect();
    let traces: Vec<Value> = events
        .iter()
        .filter_map(|e| match e {
            Event::Trace(t) if filter.trace(t) => Some(trace(t, counts.get(&t.number))),
            _ => None,
        })
        .collect();
    let mut timeline = String::new();
    for e in events {
        text::line(&mut timeline, e, filter);
    }
    let mut summary = String::new();
    text::summary(&mut summary, events, filter);
    let data = json!({
        "traces": traces,
        "timeline": timeline.lines().collect::<Vec<_>>(),
        "summary": summary.trim_start(),
    });
    // Inside a script element, `</` could end it: JSON allows the escaped slash.
    let data = data.to_string().replace("</", "<\\/");
    format!("{HEAD}<script type=\"application/json\" id=\"data\">{data}</script>\n{BODY}")
}

fn trace(t: &Trace, counts: Option<&(u64, &Vec<u64>)>) -> Value {
    let bytecode: Vec<Value> = t
        .bytecode
        .iter()
        .map(|b| json!({"text": text::bytecode_line(b), "ir": b.ir}))
        .collect();
    json!({
        "n": t.number,
        "parent": t.parent.map(|(p, k)| json!([p, k])),
        "func": t.func,
        "function": text::function(t),
        "start": t.start,
        "link": t.link,
        "bytes": t.mcode_bytes,
        "bytecode": bytecode,
        "ir": t.ir,
        "asm": t.asm,
        "entries": counts.map(|c| c.0),
        "exits": counts.map(|c| c.1.clone()),
    })
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tracedump</title>
<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
</script>
<style>
body { font: 14px system-ui, sans-serif; margin: 0; display: grid;
  grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); height: 100vh; }
#left { overflow: auto; border-right: 1px solid #ccc; padding: 8px; }
#right { overflow: auto; padding: 8px; }
h2 { font-size: 15px; margin: 12px 0 4px; }
pre { font: 12px ui-monospace, monospace; background: #f6f6f6; padding: 6px; margin: 0 0 8px;
  white-space: pre; overflow-x: auto; }
svg text { font: 11px ui-monospace, monospace; }
.node rect { fill: #e8f0fe; stroke: #3b6fd8; cursor: pointer; }
.node.side rect { fill: #fef3e2; stroke: #d88a1b; }
.node.selected rect { stroke-width: 3; }
.edge { fill: none; stroke: #777; }
.edge.link { stroke-dasharray: 4 3; stroke: #3b6fd8; }
.edge.loop { stroke: #2a8a2a; }
table { border-collapse: collapse; font: 12px ui-monospace, monospace; }
td, th { border: 1px solid #ddd; padding: 1px 6px; text-align: right; }
table.listing { display: block; overflow-x: auto; }
table.listing td { text-align: left; vertical-align: top; padding: 0 4px; }
table.listing pre { margin: 0; background: none; padding: 0; }
#selftest:empty { display: none; }
</style></head><body>
"#;

const BODY: &str = r#"<div id="left"><h2>Trace trees</h2><svg id="trees"></svg>
<h2>Timeline</h2><pre id="timeline"></pre><h2>Summary</h2><pre id="summary"></pre>
<pre id="selftest"></pre></div>
<div id="right"><div id="panel">Click a trace to see its bytecode, IR, exits and machine code.</div></div>
<script>
const data = JSON.parse(document.getElementById('data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const byN = new Map(data.traces.map(t => [t.n, t]));
const el = (name, attrs, parent) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
};
function rootOf(t) {
  while (t.parent && byN.has(t.parent[0])) t = byN.get(t.parent[0]);
  return t;
}
// Layout: trees one under another; in a tree, a trace at its depth's column, in
// depth-first order, children by exit number.
const children = new Map();
for (const t of data.traces) {
  const p = t.parent && byN.has(t.parent[0]) ? t.parent[0] : null;
  if (p !== null) {
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(t);
  }
}
for (const c of children.values()) c.sort((a, b) => a.parent[1] - b.parent[1]);
const pos = new Map();
let row = 0;
function place(t, depth) {
  pos.set(t.n, { x: 10 + depth * 250, y: 10 + row * 36 });
  row++;
  for (const c of children.get(t.n) || []) place(c, depth + 1);
}
for (const t of data.traces) if (!t.parent || !byN.has(t.parent[0])) { place(t, 0); row += 0.5; }
const svg = document.getElementById('trees');
let width = 0;
for (const p of pos.values()) width = Math.max(width, p.x + 300);
svg.setAttribute('width', width);
svg.setAttribute('height', 20 + row * 36);
const W = 150, H = 24;
function edge(cls, d, label, lx, ly, heat) {
  // Heat: an edge taken more often is drawn wider and redder.
  const w = heat ? Math.min(1 + Math.log10(heat), 6) : 1;
  const color = heat ? `hsl(${Math.max(0, 40 - 8 * Math.log10(heat))}, 80%, 45%)` : '';
  el('path', { class: 'edge ' + cls, d, style: `stroke-width:${w}` + (color ? `;stroke:${color}` : '') }, svg);
  if (label) el('text', { x: lx, y: ly }, svg).textContent = label;
}
for (const t of data.traces) {
  const p = pos.get(t.n);
  if (t.parent && byN.has(t.parent[0])) {
    const q = pos.get(t.parent[0]);
    const parent = byN.get(t.parent[0]);
    const taken = parent.exits ? parent.exits[t.parent[1]] : undefined;
    const label = 'exit ' + t.parent[1] + (taken === undefined ? '' : ' (' + taken + ')');
    edge('side', `M${q.x + W} ${q.y + H / 2} C${q.x + W + 20} ${q.y + H / 2} ${p.x - 20} ${p.y + H / 2} ${p.x} ${p.y + H / 2}`,
      label, q.x + W + 2, p.y + H / 2 - 3, taken);
  }
  const m = /^-> (\d+)$/.exec(t.link);
  if (m && byN.has(Number(m[1]))) {
    const q = pos.get(Number(m[1]));
    edge('link', `M${p.x + W / 2} ${p.y + H} C${p.x + W / 2} ${p.y + H + 30} ${q.x + W / 2} ${q.y + H + 30} ${q.x + W / 2} ${q.y + H}`);
  } else if (t.link === '-> loop') {
    edge('loop', `M${p.x + W} ${p.y + 6} c24 -14 24 26 0 12`, '', 0, 0);
  }
}
let selected = null;
for (const t of data.traces) {
  const p = pos.get(t.n);
  const g = el('g', { class: 'node' + (t.parent ? ' side' : ''), 'data-trace': t.n }, svg);
  el('rect', { x: p.x, y: p.y, width: W, height: H, rx: 4 }, g);
  const label = t.parent ? `${t.n} (${t.parent[0]}/${t.parent[1]}) ${t.link}`
    : `${t.n} f${t.func} ${t.start} ${t.link}`;
  el('text', { x: p.x + 5, y: p.y + 16 }, g).textContent = label;
  g.addEventListener('click', () => show(t, g));
}
function section(title, lines) {
  const h = document.createElement('h2');
  h.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = lines.join('\n');
  return [h, pre];
}
// The IR grouped by the bytecode instruction it was recorded for (each instruction's IR
// starts at its `ir` number), snapshots with their guard; then LOOP's copy of the body.
function listing(t) {
  const groups = t.bytecode.map(() => []);
  const entry = [], body = [];
  let target = entry, inLoop = false;
  for (const line of t.ir) {
    const m = /^[> ] (\S+)?\s+(\d{4}) +(\S+)/.exec(line);
    if (m) {
      const r = Number(m[2]);
      if (m[3] === 'Loop') inLoop = true;
      if (inLoop) target = body;
      else {
        let i = -1;
        t.bytecode.forEach((b, k) => { if (b.ir !== null && b.ir <= r) i = k; });
        target = i < 0 ? entry : groups[i];
      }
    }
    target.push(line);
  }
  const h = document.createElement('h2');
  h.textContent = 'Bytecode and the IR recorded for it';
  const table = document.createElement('table');
  table.className = 'listing';
  const row = (left, right) => {
    const tr = table.insertRow();
    for (const text of [left, right]) {
      const pre = document.createElement('pre');
      pre.textContent = text;
      tr.insertCell().appendChild(pre);
    }
  };
  if (entry.length) row('(trace entry)', entry.join('\n'));
  t.bytecode.forEach((b, k) => row(b.text, groups[k].join('\n')));
  const out = [h, table];
  if (body.length) out.push(...section("Loop body (LOOP's optimized copy)", body));
  return out;
}
function show(t, g) {
  if (selected) selected.classList.remove('selected');
  selected = g;
  g.classList.add('selected');
  const panel = document.getElementById('panel');
  panel.replaceChildren();
  const title = document.createElement('h2');
  const from = t.parent ? ` side trace of ${t.parent[0]} at exit ${t.parent[1]},` : ' root,';
  title.textContent = `Trace ${t.n}:${from} ${t.function} ${t.start}, ${t.link}`;
  panel.append(title);
  panel.append(...listing(t));
  const table = document.createElement('table');
  table.innerHTML = '<tr><th>exit</th><th>taken</th><th>side trace</th></tr>';
  (t.exits || []).forEach((n, k) => {
    const side = data.traces.find(s => s.parent && s.parent[0] === t.n && s.parent[1] === k);
    const tr = table.insertRow();
    for (const v of [k, n, side ? side.n : '']) tr.insertCell().textContent = v;
  });
  const h = document.createElement('h2');
  h.textContent = 'Exits' + (t.entries ? ` (entered ${t.entries} times)` : '');
  panel.append(h, table);
  panel.append(...section(`Machine code (${t.bytes} bytes)`, t.asm));
}
document.getElementById('timeline').textContent = data.timeline.join('\n');
document.getElementById('summary').textContent = data.summary;
const opened = /^#trace=(\d+)$/.exec(location.hash);
if (opened) {
  const g = svg.querySelector(`.node[data-trace="${opened[1]}"]`);
  if (g) g.dispatchEvent(new MouseEvent('click'));
}
if (location.hash === '#selftest') {
  const first = svg.querySelector('.node');
  if (first) first.dispatchEvent(new MouseEvent('click'));
  const panel = document.getElementById('panel').textContent;
  const ir = first ? (panel.includes('IR') && panel.includes(byN.get(Number(first.dataset.trace)).ir[0] || '')) : false;
  document.getElementById('selftest').textContent =
    `nodes=${svg.querySelectorAll('.node').length} edges=${svg.querySelectorAll('.edge').length} ` +
    `ir=${ir ? 'shown' : 'missing'} ` +
    `grouped=${[...document.querySelectorAll('table.listing tr')].some(r => r.cells[1].textContent) ? 'yes' : 'no'} ` +
    `errors=${window.__errors.length}`;
}
</script></body></html>
"#;
