"""The report page's script (plain JavaScript, no library). It reads the embedded JSON and draws one run at
a time: header, evidence, welfare against the max-min oracle, the acceptability matrix, the utility charts
and utility-space plots (inline SVG), and the timeline, rendered lazily in chunks as it scrolls into view.
Every string from the data goes into the page through `textContent` or `setAttribute`, never as markup."""

SCRIPT = r"""
(function () {
"use strict";
var DATA = JSON.parse(document.getElementById("report-data").textContent);
var SVGNS = "http://www.w3.org/2000/svg";
var CHUNK = 80;
var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"];
var CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(s) {
  return String(s).replace(CONTROL, function (c) {
    var n = c.charCodeAt(0);
    return n < 256 ? "\\x" + ("0" + n.toString(16)).slice(-2) : "\\u" + ("000" + n.toString(16)).slice(-4);
  });
}
function el(tag, attrs, text) {
  var e = document.createElement(tag);
  if (attrs) { for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); } }
  if (text !== null && text !== undefined) e.textContent = visible(text);
  return e;
}
function add(parent, child) { parent.appendChild(child); return child; }
function sv(tag, attrs, text) {
  var e = document.createElementNS(SVGNS, tag);
  if (attrs) { for (var k in attrs) e.setAttribute(k, attrs[k]); }
  if (text !== null && text !== undefined) e.textContent = visible(text);
  return e;
}
function fmt(u) { return (u === null || u === undefined) ? "-" : Number(u).toFixed(3); }
function judged(u, rho) {
  if (u === null || u === undefined) return el("span", {"class": "note"}, "-");
  var ok = u >= rho - 1e-9;
  return el("span", {"class": ok ? "ok" : "below"}, fmt(u) + (ok ? " ok" : " below"));
}
function outcomeText(o) {
  if (!o) return "none";
  return o.text ? o.label + " \u201c" + o.text + "\u201d" : o.label;
}
function colourOf(run, g) {
  var i = run.group_ids.indexOf(g);
  return i < 0 ? "#444" : COLOURS[i % COLOURS.length];
}
function section(parent, id, title) {
  var s = add(parent, el("section", {"id": id}));
  add(s, el("h2", null, title));
  return s;
}

/* ---------- header and evidence ---------- */
function drawHeader(main, run, meta) {
  var h = run.header;
  var s = section(main, "run-header", "Run: " + h.scenario + " \u00b7 " + h.strategy + " \u00b7 seed " + h.seed);
  var p = add(s, el("p"));
  add(p, el("span", {"class": "label-big", "id": "run-label"}, "label " + h.label));
  add(p, el("span", {"class": "note"}, "  (" + (h.label_source === "trace" ? "recorded in the trace" : "re-scored") + ")"));
  var b = h.backend ? (h.backend.kind || "backend") + (h.backend.model ? " " + h.backend.model : "") : "none (rational)";
  add(s, el("p", {"class": "note"}, "protocol " + h.protocol + (h.mutual_tolerance ? " + mutual tolerance" : "") +
      (h.mediator ? ", mediator " + h.mediator : "") + "; backend " + b + "; " + run.turns_in_trace +
      " turns; trace " + run.trace));
  if (run.stopped && run.stopped.note) add(s, el("p", {"class": "warn"}, "NOTE: " + run.stopped.note));
  if (run.end) add(s, el("p", {"class": "note"}, "end: " + JSON.stringify(run.end)));
}

function drawEvidence(main, run) {
  var ev = run.evidence;
  var s = section(main, "evidence", "Evidence for the label " + ev.label);
  add(s, el("p", null, "settlement: " + outcomeText(ev.settlement)));
  var t = add(s, el("table"));
  var hr = add(add(t, el("thead")), el("tr"));
  ["group", "u(settlement)", "reservation", "accepted"].forEach(function (c) { add(hr, el("th", null, c)); });
  var tb = add(t, el("tbody"));
  ev.groups.forEach(function (row) {
    var tr = add(tb, el("tr"));
    add(tr, el("td", null, row.group));
    add(add(tr, el("td")), judged(row.utility, row.reservation));
    add(tr, el("td", null, fmt(row.reservation)));
    add(tr, el("td", null, row.accepted === null ? "-" : (row.accepted ? "yes" : "no")));
  });
  var ul = add(s, el("ul"));
  ev.false_acceptors.forEach(function (f) {
    add(ul, el("li", {"class": "below"}, "false agreement: " + f.group + " said yes, but its reward model rejects the settlement: utility " +
        fmt(f.utility) + " < reservation " + fmt(f.reservation)));
  });
  ev.false_tolerance.forEach(function (f) {
    add(ul, el("li", {"class": "below"}, "false tolerance: " + f.group + " tolerates the view of " + f.tolerates + " (" +
        outcomeText(f.view) + "), utility " + fmt(f.utility) + " < reservation " + fmt(f.reservation)));
  });
  ev.outvoted.forEach(function (g) { add(ul, el("li", null, "outvoted: " + g + " rejected a settlement below its reservation")); });
  var pe = ev.persuasion;
  if (pe && pe.agent) {
    add(ul, el("li", null, "persuasion: " + (pe.ai_wins ? "AI-wins" : "no AI-wins") + ", index " + fmt(pe.index) +
        " for " + pe.agent + (pe.agent_moved !== undefined ? "; it moved " + fmt(pe.agent_moved) : "") +
        (pe.settlement_distance !== undefined ? "; settlement at distance " + fmt(pe.settlement_distance) + " from its opening view" : "")));
    pe.moved.forEach(function (m) {
      add(ul, el("li", null, m.group + (m.toward ? " moved toward " : " did not move toward ") + pe.agent +
          ": distance to its opening view " + fmt(m.from) + " -> " + fmt(m.to)));
    });
  }
}

/* ---------- welfare and matrix ---------- */
function drawWelfare(main, run) {
  var w = run.welfare;
  var s = section(main, "welfare", "Welfare per group against the max-min oracle");
  add(s, el("p", null, "worst-case welfare " + fmt(w.worst_case_welfare) + "; max-min oracle " + fmt(w.maxmin_oracle) +
      " (regret " + fmt(w.maxmin_regret) + "); max-min without reservations " + fmt(w.maxmin_unconstrained)));
  var n = w.groups.length, rowH = 18, left = 130, width = 420, H = n * rowH + 30;
  var svg = add(s, sv("svg", {"width": left + width + 20, "height": H, "class": "welfare-chart", "role": "img"}));
  add(svg, sv("title", null, "welfare per group (bar), oracle outcome (black tick), reservation (red tick)"));
  w.groups.forEach(function (g, i) {
    var y = 10 + i * rowH;
    add(svg, sv("text", {"x": left - 6, "y": y + 11, "text-anchor": "end"}, g.group));
    add(svg, sv("rect", {"x": left, "y": y + 2, "width": Math.max(0, (g.welfare || 0) * width), "height": rowH - 6,
                         "fill": colourOf(run, g.group), "opacity": 0.75}));
    if (g.oracle !== null) add(svg, sv("rect", {"x": left + g.oracle * width - 1.5, "y": y, "width": 3, "height": rowH - 2, "fill": "#000"}));
    if (g.reservation !== null) add(svg, sv("rect", {"x": left + g.reservation * width - 1, "y": y, "width": 2, "height": rowH - 2, "fill": "#cf222e"}));
  });
  add(svg, sv("line", {"x1": left, "x2": left + width, "y1": H - 16, "y2": H - 16, "stroke": "#999"}));
  [0, 0.5, 1].forEach(function (v) { add(svg, sv("text", {"x": left + v * width, "y": H - 4, "text-anchor": "middle"}, String(v))); });
  var t = add(s, el("table", {"class": "welfare-table"}));
  var hr = add(add(t, el("thead")), el("tr"));
  ["group", "welfare", "u(max-min oracle)", "u(max-min, no reservations)", "reservation"].forEach(function (c) { add(hr, el("th", null, c)); });
  var tb = add(t, el("tbody"));
  w.groups.forEach(function (g) {
    var tr = add(tb, el("tr"));
    add(tr, el("td", null, g.group));
    add(add(tr, el("td")), judged(g.welfare, g.reservation));
    add(tr, el("td", null, fmt(g.oracle)));
    add(tr, el("td", null, fmt(g.unconstrained)));
    add(tr, el("td", null, fmt(g.reservation)));
  });
}

function drawMatrix(main, run) {
  var m = run.matrix;
  var s = section(main, "matrix", "Acceptability of the final views");
  add(s, el("p", {"class": "note"}, "Row g, column h: u_g(final view of h), ok when at or above g's reservation (by the reward models, not by what agents said)."));
  var t = add(s, el("table", {"class": "acceptability"}));
  var hr = add(add(t, el("thead")), el("tr"));
  add(hr, el("th", null, "group \\ view of"));
  m.holders.forEach(function (h) { add(hr, el("th", null, h)); });
  add(hr, el("th", null, "reservation"));
  var tb = add(t, el("tbody"));
  m.rows.forEach(function (row) {
    var tr = add(tb, el("tr"));
    add(tr, el("th", null, row.group));
    row.cells.forEach(function (c) { add(add(tr, el("td")), judged(c.utility, row.reservation)); });
    add(tr, el("td", null, fmt(row.reservation)));
  });
}

/* ---------- utility per turn ---------- */
function pathOf(points, X, Y, step) {
  var d = "", pen = false, last = null;
  points.forEach(function (p) {
    if (p[1] === null || p[1] === undefined) { pen = false; return; }
    if (!pen) { d += "M" + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1); pen = true; }
    else {
      if (step) d += "L" + X(p[0]).toFixed(1) + " " + Y(last).toFixed(1);
      d += "L" + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1);
    }
    last = p[1];
  });
  return d;
}

function drawUtilities(main, run) {
  var s = section(main, "utilities", "Utility per turn: each group's own view and the proposal on the table");
  var lg = add(s, el("p", {"class": "legend"}));
  add(lg, el("span", null, "solid: the group's utility of its own stated view, from its opening view (steps between its turns)"));
  add(lg, el("span", null, "grey: its utility of the proposal judged at each turn"));
  add(lg, el("span", {"class": "below"}, "dashed red: its reservation"));
  var wrap = add(s, el("div", {"class": "charts"}));
  var turns = run.turns;
  if (!turns.length) { add(s, el("p", {"class": "note"}, "no turns")); return; }
  var first = turns[0].turn, last = turns[turns.length - 1].turn;
  var W = 360, H = 130, L = 30, R = 8, T = 8, B = 18;
  var X = function (t) { return L + (last === first ? 0 : (t - first) / (last - first)) * (W - L - R); };
  var Y = function (u) { return T + (1 - u) * (H - T - B); };
  run.group_ids.forEach(function (g) {
    var rho = run.groups[g].reservation;
    var prop = [], own = [];
    var opening = (run.opening_utility || {})[g];
    if (opening !== null && opening !== undefined) own.push([first, opening]);
    turns.forEach(function (t) {
      var u = t.utility[g] || {};
      prop.push([t.turn, u.proposal === undefined ? null : u.proposal]);
      if (t.speaker === g && u.view !== null && u.view !== undefined) own.push([t.turn, u.view]);
    });
    if (own.length) own.push([last, own[own.length - 1][1]]);
    var fig = add(wrap, el("figure"));
    var svg = add(fig, sv("svg", {"width": W, "height": H, "class": "utility-chart", "data-group": g, "role": "img"}));
    add(svg, sv("title", null, "utilities of " + g));
    add(svg, sv("rect", {"x": L, "y": T, "width": W - L - R, "height": H - T - B, "fill": "#fafafa", "stroke": "#ddd"}));
    [0, 0.5, 1].forEach(function (v) { add(svg, sv("text", {"x": L - 4, "y": Y(v) + 3, "text-anchor": "end"}, String(v))); });
    add(svg, sv("text", {"x": L, "y": H - 4}, "turn " + first));
    add(svg, sv("text", {"x": W - R, "y": H - 4, "text-anchor": "end"}, "turn " + last));
    add(svg, sv("path", {"d": pathOf(prop, X, Y, false), "fill": "none", "stroke": "#999", "stroke-width": 1}));
    add(svg, sv("path", {"d": pathOf(own, X, Y, true), "fill": "none", "stroke": colourOf(run, g), "stroke-width": 2}));
    add(svg, sv("line", {"x1": L, "x2": W - R, "y1": Y(rho), "y2": Y(rho), "stroke": "#cf222e", "stroke-dasharray": "4 3"}));
    add(fig, el("figcaption", null, g + " (reservation " + fmt(rho) + ")"));
  });
}

/* ---------- utility space ---------- */
var MARKS = {settlement: ["#000", 6, "diamond"], oracle: ["#d62728", 5, "square"], unconstrained: ["#ff7f0e", 4, "square"],
             opening: [null, 4, "ring"], final: [null, 4, "dot"]};

function drawSpace(main, run) {
  var sp = run.space;
  var s = section(main, "space", "Outcomes in utility space");
  if (!sp) {
    add(s, el("p", {"class": "note"}, "Drawn for runs of two or three groups; this run has " + run.group_ids.length + "."));
    return;
  }
  add(s, el("p", {"class": "note"}, (sp.groups.length === 3 ? "Pairwise projections. " : "") +
      "Grey: outcomes of the space; blue line: the pair's Pareto frontier; black diamond: settlement; red square: max-min oracle; " +
      "orange square: max-min without reservations; rings: opening views; dots: final views; dashed: reservations."));
  sp.notes.forEach(function (n) { add(s, el("p", {"class": "note"}, n)); });
  var wrap = add(s, el("div", {"class": "charts"}));
  var S = 300, P = 34;
  var X = function (u) { return P + u * (S - P - 8); }, Y = function (u) { return 8 + (1 - u) * (S - P - 8); };
  sp.pairs.forEach(function (pair) {
    var gi = sp.groups.indexOf(pair.x), hi = sp.groups.indexOf(pair.y);
    var fig = add(wrap, el("figure"));
    var svg = add(fig, sv("svg", {"width": S, "height": S, "class": "space-chart", "role": "img"}));
    add(svg, sv("rect", {"x": P, "y": 8, "width": S - P - 8, "height": S - P - 8, "fill": "#fff", "stroke": "#ccc"}));
    sp.cloud.forEach(function (c) {
      if (c[gi] === null || c[hi] === null) return;
      add(svg, sv("circle", {"cx": X(c[gi]).toFixed(1), "cy": Y(c[hi]).toFixed(1), "r": 1.4, "fill": "#bbb"}));
    });
    var rx = sp.reservations[pair.x], ry = sp.reservations[pair.y];
    add(svg, sv("line", {"x1": X(rx), "x2": X(rx), "y1": Y(0), "y2": Y(1), "stroke": "#cf222e", "stroke-dasharray": "3 3"}));
    add(svg, sv("line", {"x1": X(0), "x2": X(1), "y1": Y(ry), "y2": Y(ry), "stroke": "#cf222e", "stroke-dasharray": "3 3"}));
    var front = pair.frontier.slice().sort(function (a, b) { return a[0] - b[0]; });
    add(svg, sv("path", {"d": pathOf(front, X, Y, false), "fill": "none", "stroke": "#1f77b4", "stroke-width": 1.5, "class": "frontier"}));
    sp.points.forEach(function (p) {
      var m = MARKS[p.kind] || ["#000", 3, "dot"];
      var who = p.kind === "opening" || p.kind === "final" ? p.name.replace(/^.* of /, "") : null;
      var colour = m[0] || colourOf(run, who);
      var x = X(p.utility[pair.x]), y = Y(p.utility[pair.y]), r = m[1], shape;
      if (m[2] === "square") shape = sv("rect", {"x": x - r, "y": y - r, "width": 2 * r, "height": 2 * r, "fill": colour});
      else if (m[2] === "diamond") shape = sv("path", {"d": "M" + x + " " + (y - r) + "L" + (x + r) + " " + y + "L" + x + " " + (y + r) + "L" + (x - r) + " " + y + "Z", "fill": colour});
      else if (m[2] === "ring") shape = sv("circle", {"cx": x, "cy": y, "r": r, "fill": "none", "stroke": colour, "stroke-width": 1.5});
      else shape = sv("circle", {"cx": x, "cy": y, "r": r, "fill": colour});
      shape.setAttribute("class", "mark-" + p.kind);
      add(shape, sv("title", null, p.name + ": " + fmt(p.utility[pair.x]) + ", " + fmt(p.utility[pair.y])));
      add(svg, shape);
    });
    add(svg, sv("text", {"x": (P + S) / 2, "y": S - 6, "text-anchor": "middle"}, "u of " + pair.x));
    add(svg, sv("text", {"x": 10, "y": S / 2, "text-anchor": "middle", "transform": "rotate(-90 10 " + S / 2 + ")"}, "u of " + pair.y));
    add(fig, el("figcaption", null, pair.x + " vs " + pair.y + " (frontier: " + pair.frontier.length + " points, " + pair.status + ")"));
  });
}

/* ---------- timeline ---------- */
function drawGeneration(box, run, gen) {
  var d = add(box, el("details", {"class": "generation"}));
  add(d, el("summary", null, "LLM move: " + gen.candidates.length + " candidates, rule " + gen.rule + ", chosen #" + gen.chosen +
      (gen.held ? " (held)" : "")));
  var t = add(d, el("table", {"class": "candidates"}));
  var hr = add(add(t, el("thead")), el("tr"));
  ["#", "chosen", "valid", "score", "rewards", "utterance / error"].forEach(function (c) { add(hr, el("th", null, c)); });
  var tb = add(t, el("tbody"));
  gen.candidates.forEach(function (c) {
    var tr = add(tb, el("tr"));
    add(tr, el("td", null, String(c.index)));
    add(tr, el("td", null, c.chosen ? "*" : ""));
    add(tr, el("td", null, c.valid ? "valid" : "invalid"));
    add(tr, el("td", null, c.score === null || c.score === undefined ? "-" : fmt(c.score)));
    var rw = Object.keys(c.rewards).map(function (g) { return g + " view " + fmt(c.rewards[g].view) + " proposal " + fmt(c.rewards[g].proposal); });
    add(tr, el("td", null, rw.join("; ")));
    add(tr, el("td", {"class": "utterance"}, c.valid ? (c.utterance || "") : (c.error || "")));
  });
  if (gen.sampling) add(d, el("p", {"class": "note"}, "sampling " + JSON.stringify(gen.sampling)));
  if (gen.messages && gen.messages.length) {
    var p = add(d, el("details", {"class": "prompt"}));
    add(p, el("summary", null, "exact prompt (" + gen.messages.length + " messages)"));
    gen.messages.forEach(function (m) {
      add(p, el("div", {"class": "note"}, String(m.role)));
      add(p, el("pre", null, typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
    });
  }
}

function drawTurn(run, t) {
  var box = el("div", {"class": "turn", "data-turn": t.turn, "data-round": t.round, "data-speaker": t.speaker});
  box.style.borderLeftColor = colourOf(run, t.speaker);
  var head = add(box, el("div", {"class": "turn-head"}, "turn " + t.turn + " \u00b7 round " + t.round + " \u00b7 "));
  add(head, el("span", {"class": "speaker"}, t.speaker));
  add(box, el("div", {"class": "utterance"}, t.utterance || ""));
  var facts = [];
  if (t.view) facts.push("view: " + outcomeText(t.view));
  if (t.proposal) facts.push("proposes: " + outcomeText(t.proposal));
  else if (t.answers) facts.push("answers: " + outcomeText(t.answers));
  if (t.accepts !== null && t.accepts !== undefined) facts.push("accepts: " + (t.accepts ? "yes" : "no"));
  var tol = Object.keys(t.tolerates || {});
  if (tol.length) facts.push("tolerates: " + tol.map(function (g) { return g + " " + (t.tolerates[g] ? "yes" : "no"); }).join(", "));
  add(box, el("div", {"class": "facts"}, facts.join("   ")));
  var d = add(box, el("details", {"class": "turn-utilities"}));
  add(d, el("summary", null, "utilities against reservations"));
  var tab = add(d, el("table", {"class": "utils"}));
  var hr = add(add(tab, el("thead")), el("tr"));
  ["group", "reservation", "u(speaker's view)", "u(proposal " + (t.proposal_judged || "-") + ")"].forEach(function (c) { add(hr, el("th", null, c)); });
  var tb = add(tab, el("tbody"));
  Object.keys(t.utility).forEach(function (g) {
    var u = t.utility[g], tr = add(tb, el("tr"));
    add(tr, el("td", null, g));
    add(tr, el("td", null, fmt(u.reservation)));
    add(add(tr, el("td")), judged(u.view, u.reservation));
    add(add(tr, el("td")), judged(u.proposal, u.reservation));
  });
  if (t.rationale) {
    var r = add(box, el("details"));
    add(r, el("summary", null, "rationale (private)"));
    add(r, el("div", {"class": "utterance"}, t.rationale));
  }
  if (t.generation) drawGeneration(box, run, t.generation);
  return box;
}

function drawTimeline(main, run) {
  var s = section(main, "timeline-section", "Dialogue");
  var bar = add(s, el("div", {"class": "filters", "id": "filters"}));
  var speakers = run.group_ids.slice();
  run.turns.forEach(function (t) { if (speakers.indexOf(t.speaker) < 0) speakers.push(t.speaker); });
  var checks = {};
  add(bar, el("span", null, "groups:"));
  speakers.forEach(function (g, i) {
    var lab = add(bar, el("label"));
    var box = add(lab, el("input", {"type": "checkbox", "class": "group-filter", "value": g, "id": "group-filter-" + i}));
    box.checked = true;
    checks[g] = box;
    add(lab, el("span", null, " " + g));
  });
  var rounds = run.turns.length ? run.turns[run.turns.length - 1].round : 0;
  var lo = el("input", {"type": "number", "id": "round-from", "min": 1, "max": Math.max(1, rounds), "value": 1});
  var hi = el("input", {"type": "number", "id": "round-to", "min": 1, "max": Math.max(1, rounds), "value": Math.max(1, rounds)});
  var l1 = add(bar, el("label", null, "rounds ")); add(l1, lo);
  var l2 = add(bar, el("label", null, " to ")); add(l2, hi);
  var llmOnly = null;
  if (run.llm) {
    var l3 = add(bar, el("label", null, "LLM moves only "));
    llmOnly = add(l3, el("input", {"type": "checkbox", "id": "llm-only"}));
  }
  var count = add(bar, el("span", {"id": "timeline-count", "class": "note"}));
  var list = add(s, el("div", {"id": "timeline"}));
  var more = add(s, el("button", {"id": "timeline-more", "type": "button"}, "show more"));
  var filtered = [], shown = 0;
  function update() {
    count.textContent = filtered.length + " of " + run.turns.length + " turns match; " + shown + " shown";
    more.style.display = shown < filtered.length ? "" : "none";
  }
  function chunk() {
    var frag = document.createDocumentFragment();
    var end = Math.min(filtered.length, shown + CHUNK);
    for (var i = shown; i < end; i++) frag.appendChild(drawTurn(run, filtered[i]));
    list.appendChild(frag);
    shown = end;
    update();
  }
  function apply() {
    var a = parseInt(lo.value, 10), b = parseInt(hi.value, 10);
    if (isNaN(a)) a = 1;
    if (isNaN(b)) b = rounds;
    filtered = run.turns.filter(function (t) {
      return checks[t.speaker].checked && t.round >= a && t.round <= b && (!llmOnly || !llmOnly.checked || !!t.generation);
    });
    list.replaceChildren();
    shown = 0;
    chunk();
  }
  [lo, hi].concat(Object.keys(checks).map(function (k) { return checks[k]; })).concat(llmOnly ? [llmOnly] : [])
    .forEach(function (c) { c.addEventListener("change", apply); c.addEventListener("input", apply); });
  more.addEventListener("click", chunk);
  if (window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; }) && shown < filtered.length) chunk();
    }, {rootMargin: "600px"}).observe(more);
  }
  apply();
}

/* ---------- one run ---------- */
function drawRun(index) {
  var main = document.getElementById("run");
  main.replaceChildren();
  var entry = DATA.runs[index];
  if (!entry) { add(main, el("p", {"class": "note"}, "no such run")); return; }
  main.setAttribute("data-run", String(index));
  if (entry.error) {
    add(main, el("h2", null, "Run " + index));
    add(main, el("p", {"class": "warn"}, "not shown: " + entry.error));
    return;
  }
  var run = entry.content;
  drawHeader(main, run, entry.meta);
  drawEvidence(main, run);
  drawWelfare(main, run);
  drawMatrix(main, run);
  drawUtilities(main, run);
  drawSpace(main, run);
  drawTimeline(main, run);
}

/* ---------- directories: per-scenario plots and the run index ---------- */
function runName(entry, i) {
  var m = entry.meta || {};
  return "#" + i + " " + (m.scenario || "?") + " \u00b7 " + (m.strategy || "?") + " \u00b7 seed " + m.seed +
    (m.label ? " \u00b7 " + m.label : "") + (m.source ? " \u00b7 " + m.source : "");
}

function drawBench(bench, bi) {
  var host = document.getElementById("bench-" + bi);
  if (!host) return;
  var plots = add(host, el("div", {"class": "charts scenario-plots"}));
  bench.scenarios.forEach(function (sc) {
    var runs = bench.runs.filter(function (i) { return DATA.runs[i].meta.scenario === sc.scenario; });
    var n = sc.strategies.length, rowH = 22, L = 150, W = 330, H = n * rowH + 40;
    var fig = add(plots, el("figure"));
    var svg = add(fig, sv("svg", {"width": L + W + 20, "height": H, "class": "scenario-chart", "role": "img"}));
    var X = function (u) { return L + u * W; };
    var oracle = null;
    runs.forEach(function (i) { var o = DATA.runs[i].meta.maxmin_oracle; if (o !== null && o !== undefined) oracle = oracle === null ? o : Math.max(oracle, o); });
    if (oracle !== null) {
      add(svg, sv("line", {"x1": X(oracle), "x2": X(oracle), "y1": 4, "y2": H - 26, "stroke": "#d62728", "stroke-dasharray": "4 3"}));
      add(svg, sv("text", {"x": X(oracle), "y": H - 28, "text-anchor": "middle"}, "oracle"));
    }
    sc.strategies.forEach(function (st, k) {
      var y = 10 + k * rowH + rowH / 2;
      add(svg, sv("text", {"x": L - 6, "y": y + 3, "text-anchor": "end"}, st.rank + ". " + st.strategy));
      if (st.low !== null && st.high !== null) add(svg, sv("line", {"x1": X(st.low), "x2": X(st.high), "y1": y, "y2": y, "stroke": "#333"}));
      if (st.mean !== null) add(svg, sv("rect", {"x": X(st.mean) - 1.5, "y": y - 7, "width": 3, "height": 14, "fill": "#000"}));
      runs.forEach(function (i) {
        var m = DATA.runs[i].meta;
        if (m.strategy !== st.strategy || m.worst_case_welfare === null) return;
        var a = add(svg, sv("a", {"href": "#run-" + i}));
        var c = add(a, sv("circle", {"cx": X(m.worst_case_welfare), "cy": y, "r": 4, "fill": COLOURS[k % COLOURS.length], "opacity": 0.7}));
        add(c, sv("title", null, runName(DATA.runs[i], i)));
      });
    });
    add(svg, sv("line", {"x1": X(0), "x2": X(1), "y1": H - 22, "y2": H - 22, "stroke": "#999"}));
    [0, 0.5, 1].forEach(function (v) { add(svg, sv("text", {"x": X(v), "y": H - 10, "text-anchor": "middle"}, String(v))); });
    add(fig, el("figcaption", null, sc.scenario + ": worst-case welfare per run (dots, click to open), mean and CI (bar)"));
  });
  var t = add(host, el("table", {"class": "run-index"}));
  var hr = add(add(t, el("thead")), el("tr"));
  ["run", "scenario", "strategy", "seed", "label", "worst-case welfare", "max-min oracle"].forEach(function (c) { add(hr, el("th", null, c)); });
  var tb = add(t, el("tbody"));
  bench.runs.forEach(function (i) {
    var m = DATA.runs[i].meta, tr = add(tb, el("tr"));
    add(add(tr, el("td")), el("a", {"href": "#run-" + i}, "#" + i));
    [m.scenario, m.strategy, String(m.seed), m.label, fmt(m.worst_case_welfare), fmt(m.maxmin_oracle)].forEach(function (v) { add(tr, el("td", null, v)); });
  });
}

function current() {
  var m = /^#run-(\d+)$/.exec(window.location.hash);
  return m ? parseInt(m[1], 10) : 0;
}

function start() {
  (DATA.benches || []).forEach(drawBench);
  var picker = document.getElementById("run-picker");
  if (DATA.runs.length > 1) {
    var lab = add(picker, el("label", null, "run shown: "));
    var sel = add(lab, el("select", {"id": "run-select"}));
    DATA.runs.forEach(function (entry, i) { add(sel, el("option", {"value": String(i)}, runName(entry, i))); });
    sel.value = String(current());
    sel.addEventListener("change", function () { window.location.hash = "run-" + sel.value; });
    window.addEventListener("hashchange", function () { sel.value = String(current()); drawRun(current()); });
  }
  drawRun(current());
  if (window.performance && performance.mark) performance.mark("report-drawn");
}
start();
})();
"""
