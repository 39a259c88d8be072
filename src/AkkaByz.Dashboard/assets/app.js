// AkkaByz dashboard: the per-round column list (api/columns, generated from MetricsColumn.All), then one EventSource
// (/events), a snapshot then deltas; uPlot charts and a canvas heat map. Nothing about a column is written here: row
// keys, labels, units, formats and chart groups come from the column list (the panels below look columns up by their
// metrics.csv name).
"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const q = token ? "?token=" + encodeURIComponent(token) : "";
  const $ = id => document.getElementById(id);
  let S = null;          // the state: run, rows, cluster, trimmed, rejected, experiment, status
  let charts = {};
  let pending = false;
  let rejectedKey = "";  // the reasons the rejection chart was built for (a new reason rebuilds it)
  let C = [];            // the columns: {name, key, label, unit, format, description, chart}, in metrics.csv order
  let K = {};            // row key by column name, for the columns sent in the rows
  const palette = ["#c62828", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#4e342e", "#283593"];

  const fmt = (v, d) => v == null || !isFinite(v) ? "–" : v.toFixed(d);
  // A row's value of the column named `name` (its metrics.csv name), null when missing.
  const v = (r, name) => { const k = K[name]; return k == null || r[k] == null ? null : r[k]; };
  const esc = t => String(t).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // A value in its column's .NET numeric format (the CSV's): "0", "0.00" (fixed), "0.0##" (up to), "G6" (significant digits).
  function formatValue(x, format) {
    if (x == null || !isFinite(x)) return "–";
    const g = /^G(\d+)$/i.exec(format || "");
    if (g) return String(Number(x.toPrecision(Math.min(21, Math.max(1, +g[1])))));
    const m = /^0(?:\.(0*)(#*))?$/.exec(format || "");
    if (!m) return String(x);
    const min = (m[1] || "").length, max = min + (m[2] || "").length;
    let t = x.toFixed(max);
    const dot = t.indexOf(".");
    if (dot >= 0 && max > min) {
      let end = t.length;
      while (end > dot + 1 + min && t[end - 1] === "0") end--;
      t = t.slice(0, end === dot + 1 ? dot : end);
    }
    return t;
  }
  // A unit as the page shows it: UCUM annotations without braces ({update} → update), dimensionless "1" as nothing.
  const unitText = u => u === "1" ? "" : String(u || "").replace(/^\{(.*)\}$/, "$1");
  const dur = s => {
    if (s == null || !isFinite(s)) return "–";
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m ${String(x).padStart(2, "0")}s` : `${x}s`;
  };

  function apply(kind, d) {
    if (kind === "snapshot" || !S) {
      S = { run: d.run || null, rows: d.rows, cluster: d.cluster, mode: d.mode };
      for (const k in charts) { charts[k].destroy(); }
      charts = {};
    } else {
      S.rows.push(...d.rows);
      S.cluster.push(...d.cluster);
      if (d.run) S.run = d.run;
    }
    S.trimmed = d.trimmed; S.rejected = d.rejected; S.experiment = d.experiment; S.status = d.status; S.seq = d.seq;
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); }
  }

  // The column list first (it says which row key is which column), then the event stream.
  function start() {
    fetch("api/columns" + q, { cache: "no-cache" })
      .then(r => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(cols => {
        C = cols; K = {};
        for (const c of cols) if (c.key != null) K[c.name] = c.key;
        connect();
      })
      .catch(e => { $("connection").textContent = `cannot read the column list (${e.message}); retrying…`; setTimeout(start, 2000); });
  }

  function connect() {
    const es = new EventSource("events" + q);
    es.addEventListener("snapshot", e => apply("snapshot", JSON.parse(e.data)));
    es.addEventListener("delta", e => apply("delta", JSON.parse(e.data)));
    es.onopen = () => { $("connection").textContent = "live"; };
    es.onerror = () => { $("connection").textContent = "disconnected (the run may be over); retrying…"; };
  }

  function width(el) { return Math.max(300, el.clientWidth || 600); }

  function chart(key, el, opts, data) {
    if (!charts[key]) {
      opts.width = width(el); opts.height = opts.height || 220;
      opts.legend = { live: false };
      charts[key] = new uPlot(opts, data, el);
    } else {
      charts[key].setData(data);
    }
  }

  // Centered moving average over a window of about 1/60 of the points (at least 1), skipping missing values.
  function smooth(values) {
    const n = values.length, h = Math.max(0, Math.round(n / 120));
    const sum = new Float64Array(n + 1), cnt = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = values[i], ok = v != null && isFinite(v);
      sum[i + 1] = sum[i] + (ok ? v : 0); cnt[i + 1] = cnt[i] + (ok ? 1 : 0);
    }
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const a = Math.max(0, i - h), b = Math.min(n, i + h + 1), c = cnt[b] - cnt[a];
      out[i] = c > 0 ? (sum[b] - sum[a]) / c : null;
    }
    return out;
  }

  function renderStatus() {
    const st = S.status, run = S.run;
    document.body.classList.toggle("mode-experiment", S.mode === "experiment");
    document.body.classList.toggle("has-cluster", S.cluster.length > 0);
    $("mode").textContent = S.mode;
    if (run) {
      $("title").textContent = `${run.model} on ${run.data}: m = ${run.workers}, f = ${run.byzantine}, attack = ${run.attack}, ` +
        `aggregator = ${run.aggregator}, optimizer = ${run.optimizer}, ${run.rounds} rounds`;
    }
    if (S.mode === "experiment" && S.experiment) {
      const x = S.experiment;
      $("title").textContent = `experiment ${x.name}: ${x.total} cells`;
      $("round-label").textContent = "cells finished";
      $("round").textContent = `${x.done} / ${x.total}`;
      $("rate").textContent = "–";
      $("elapsed").textContent = dur(x.elapsedSeconds);
      $("eta").textContent = x.done >= x.total ? "done" : dur(x.etaSeconds);
      const finals = x.cells.filter(c => c.final != null).map(c => c.final);
      $("acc").textContent = finals.length ? `best ${fmt(100 * Math.max(...finals), 1)}%` : "–";
      return;
    }
    $("round").textContent = `${st.round} / ${st.rounds || "?"}`;
    $("rate").textContent = fmt(st.roundsPerSecond, 1);
    $("elapsed").textContent = dur(st.elapsed);
    $("eta").textContent = st.finished ? "done" : dur(st.etaSeconds);
    $("acc").textContent = st.testAccuracy == null ? "–" : `${fmt(100 * st.testAccuracy, 2)}%`;
    $("detection").textContent = st.precision == null && st.recall == null ? "–"
      : `${fmt(100 * st.precision, 1)}% / ${fmt(100 * st.recall, 1)}%`;
    $("finished").textContent = st.finished || "";
  }

  function renderCharts() {
    const rows = S.rows;
    const ev = rows.filter(r => v(r, "test_accuracy") != null);
    chart("acc", $("chart-acc"), {
      scales: { x: { time: false } },
      axes: [{ label: "round" }, { label: "test accuracy (%)" }],
      series: [{ label: "round" }, { label: "test accuracy %", stroke: "#1565c0", width: 2, points: { show: ev.length < 60 } }],
    }, [ev.map(r => v(r, "round")), ev.map(r => 100 * v(r, "test_accuracy"))]);

    const tr = rows.filter(r => v(r, "round") > 0);
    const xs = tr.map(r => v(r, "round")), raw = tr.map(r => v(r, "train_loss"));
    chart("loss", $("chart-loss"), {
      scales: { x: { time: false } },
      axes: [{ label: "round" }, { label: "loss" }],
      series: [{ label: "round" },
        { label: "train (raw)", stroke: "rgba(230,81,0,0.22)", width: 1 },
        { label: "train (smoothed)", stroke: "#e65100", width: 2 },
        { label: "test", stroke: "#1565c0", width: 2, spanGaps: true, points: { show: true, size: 4 } }],
    }, [xs, raw, smooth(raw), tr.map(r => v(r, "test_loss"))]);

    // Rejections: cumulative per reason over rounds.
    const reasons = Object.keys(S.rejected || {});
    const t = reasons.length ? "<table><tr><th class='left'>reason</th><th>count</th></tr>" +
      reasons.map(k => `<tr><td class='left'>${k}</td><td>${S.rejected[k]}</td></tr>`).join("") + "</table>" : "none so far";
    $("rejected-table").innerHTML = t;
    if (reasons.length) {
      const cum = reasons.map(() => 0), ys = reasons.map(() => []);
      for (const r of tr) { reasons.forEach((k, i) => { cum[i] += (r.why && r.why[k]) || 0; ys[i].push(cum[i]); }); }
      const key = reasons.join(",");
      if (charts.rej && rejectedKey !== key) { charts.rej.destroy(); delete charts.rej; }
      rejectedKey = key;
      chart("rej", $("chart-rejected"), {
        height: 160, scales: { x: { time: false } }, axes: [{ label: "round" }, { label: "rejected" }],
        series: [{ label: "round" }, ...reasons.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2 }))],
      }, [xs, ...ys]);
    }
  }

  function renderHeatmap() {
    const canvas = $("heatmap"), run = S.run;
    const m = run ? run.workers : (S.trimmed || []).length;
    if (!m) return;
    const rows = S.rows.filter(r => v(r, "round") > 0 && v(r, "round_ms") != null);
    const byz = new Set(run ? run.byzantineWorkers : []);
    const cssW = width(canvas.parentElement), left = 62, right = 70, top = 6, bottom = 34;
    const cell = Math.max(6, Math.min(18, Math.floor(260 / m)));
    const cssH = top + bottom + cell * m;
    const dpr = window.devicePixelRatio || 1;
    canvas.style.height = cssH + "px";
    canvas.width = Math.round(cssW * dpr); canvas.height = Math.round(cssH * dpr);
    const g = canvas.getContext("2d"); g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const plotW = cssW - left - right;
    const cols = Math.max(1, Math.min(rows.length, Math.floor(plotW / 3)));
    const counts = Array.from({ length: m }, () => new Float64Array(cols)), n = new Float64Array(cols);
    for (let i = 0; i < rows.length; i++) {
      const c = Math.min(cols - 1, Math.floor(i * cols / rows.length));
      n[c]++;
      for (const w of rows[i].s) if (w < m) counts[w][c]++;
    }
    const colW = plotW / cols;
    const color = f => { const k = Math.round(255 - 200 * f); return `rgb(${k},${Math.round(k * 0.9 + 20 * f)},${Math.round(255 - 110 * f)})`; };
    for (let w = 0; w < m; w++) {
      for (let c = 0; c < cols; c++) {
        const f = n[c] ? counts[w][c] / n[c] : 0;
        g.fillStyle = color(f);
        g.fillRect(left + c * colW, top + w * cell, Math.ceil(colW), cell - (cell > 8 ? 1 : 0));
      }
      g.fillStyle = byz.has(w) ? "#c62828" : "#1d2330";
      g.font = (byz.has(w) ? "bold " : "") + "11px system-ui, sans-serif";
      g.textAlign = "right"; g.textBaseline = "middle";
      g.fillText((byz.has(w) ? "B " : "") + "w" + w, left - 6, top + w * cell + cell / 2);
    }
    // x axis: round labels
    g.fillStyle = "#1d2330"; g.textAlign = "center"; g.textBaseline = "top"; g.font = "11px system-ui, sans-serif";
    if (rows.length) {
      for (let k = 0; k <= 4; k++) {
        const i = Math.min(rows.length - 1, Math.round(k * (rows.length - 1) / 4));
        g.fillText(String(v(rows[i], "round")), left + (i + 0.5) * plotW / rows.length, top + m * cell + 4);
      }
    }
    g.fillText("round", left + plotW / 2, top + m * cell + 18);
    g.save(); g.translate(12, top + m * cell / 2); g.rotate(-Math.PI / 2); g.fillText("worker", 0, 0); g.restore();
    // colour bar
    const bx = cssW - right + 16, bh = m * cell;
    for (let y = 0; y < bh; y++) { g.fillStyle = color(1 - y / bh); g.fillRect(bx, top + y, 14, 1); }
    g.strokeStyle = "#999"; g.strokeRect(bx, top, 14, bh);
    g.textAlign = "left"; g.textBaseline = "middle"; g.fillStyle = "#1d2330";
    g.fillText("100%", bx + 18, top + 5); g.fillText("0%", bx + 18, top + bh - 5);
    const st = S.status, totals = (S.trimmed || []).map((v, i) => `${byz.has(i) ? "<span class='byz'>w" + i + "</span>" : "w" + i} ${v}`);
    $("heat-legend").innerHTML = `trimmed rounds per worker: ${totals.join(", ")}` +
      (byz.size ? ` — detection: precision ${fmt(100 * st.precision, 1)}% (${st.truePositives} of ${st.truePositives + st.falsePositives} discarded updates were Byzantine), ` +
        `recall ${fmt(100 * st.recall, 1)}% (of the Byzantine updates, one per Byzantine worker per round)` : "");
  }

  // Every listed column: its latest value in a table, and the columns of each chart group as series of one chart.
  function renderColumns() {
    const rows = S.rows;
    const latest = c => {
      if (c.key == null) return null;
      for (let i = rows.length - 1; i >= 0; i--) if (rows[i][c.key] != null) return rows[i][c.key];
      return null;
    };
    $("columns-table").innerHTML = "<table><tr><th class='left'>metric</th><th>latest</th><th class='left'>unit</th><th class='left'>metrics.csv column</th></tr>" +
      C.map(c => `<tr data-column="${esc(c.name)}" title="${esc(c.description)}"><td class='left'>${esc(c.label)}</td>` +
        `<td class='latest'>${c.key == null ? "<span class='muted'>not sent</span>" : formatValue(latest(c), c.format)}</td>` +
        `<td class='left'>${esc(unitText(c.unit))}</td><td class='left muted'>${esc(c.name)}</td></tr>`).join("") + "</table>";

    const host = $("column-charts");
    const tr = rows.filter(r => v(r, "round") > 0), xs = tr.map(r => v(r, "round"));
    const groups = [...new Set(C.filter(c => c.key != null && c.chart != null).map(c => c.chart))];
    for (const g of groups) {
      let el = [...host.children].find(e => e.dataset.chartGroup === g);
      if (!el) {
        el = document.createElement("div");
        el.className = "column-group";
        el.dataset.chartGroup = g;
        el.innerHTML = `<h3>${esc(g)}</h3><div class="chart"></div>`;
        host.appendChild(el);
      }
      const cols = C.filter(c => c.key != null && c.chart === g);
      const units = [...new Set(cols.map(c => unitText(c.unit)).filter(u => u))].join(", ");
      chart("column-group:" + g, el.querySelector(".chart"), {
        height: 180, scales: { x: { time: false } }, axes: [{ label: "round" }, { label: units }],
        series: [{ label: "round" }, ...cols.map((c, i) => ({ label: c.label, stroke: palette[i % palette.length], width: 1.5,
          value: (u, x) => formatValue(x, c.format) }))],
      }, [xs, ...cols.map(c => tr.map(r => r[c.key] == null ? null : r[c.key]))]);
    }
  }

  function renderCluster() {
    if (!S.cluster.length) return;
    const t0 = Date.parse(S.cluster[0].utc);
    const xs = S.cluster.map(c => (Date.parse(c.utc) - t0) / 1000);
    const failovers = S.cluster.filter(c => c.failOver).map(c => (Date.parse(c.utc) - t0) / 1000);
    const stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    chart("cluster", $("chart-cluster"), {
      height: 180, scales: { x: { time: false } }, axes: [{ label: "seconds since this node joined" }, { label: "nodes" }],
      series: [{ label: "s" },
        { label: "aggregators up", stroke: "#6a1b9a", width: 2, paths: stepped },
        { label: "workers up", stroke: "#2e7d32", width: 2, paths: stepped },
        { label: "unreachable", stroke: "#c62828", width: 2, paths: stepped }],
      hooks: { draw: [u => {
        const g = u.ctx; g.save(); g.strokeStyle = "#c62828"; g.lineWidth = 2 * (window.devicePixelRatio || 1);
        for (const f of (u._failovers || [])) { const x = u.valToPos(f, "x", true); g.beginPath(); g.moveTo(x, u.bbox.top); g.lineTo(x, u.bbox.top + u.bbox.height); g.stroke(); }
        g.restore(); }] },
    }, [xs, S.cluster.map(c => c.aggregators), S.cluster.map(c => c.workers), S.cluster.map(c => c.unreachable)]);
    charts.cluster._failovers = failovers; charts.cluster.redraw(false, false);
    $("cluster-events").innerHTML = S.cluster.slice(-60).reverse()
      .map(c => `<li class="${c.failOver ? "failover" : ""}">${c.utc.substring(11, 19)} ${c.event}</li>`).join("");
  }

  function renderExperiment() {
    const x = S.experiment; if (!x) return;
    const cls = s => "state-" + s;
    $("cells").innerHTML = "<table><tr><th class='left'>cell</th><th class='left'>state</th><th>final</th><th>best</th><th>seconds</th></tr>" +
      x.cells.map(c => `<tr><td class='left'>${c.id}</td><td class='left ${cls(c.state)}'>${c.state}${c.error ? ": " + c.error : ""}</td>` +
        `<td>${c.final == null ? "" : fmt(100 * c.final, 1) + "%"}</td><td>${c.best == null ? "" : fmt(100 * c.best, 1) + "%"}</td><td>${fmt(c.seconds, 1)}</td></tr>`).join("") + "</table>";
    const aggs = [...new Set(x.cells.map(c => c.aggregator))], atts = [...new Set(x.cells.map(c => c.attack))];
    const finals = x.cells.filter(c => c.final != null).map(c => c.final);
    const lo = finals.length ? Math.min(...finals) : 0, hi = finals.length ? Math.max(...finals) : 1;
    let h = "<table><tr><th class='left'>aggregator \\ attack</th>" + atts.map(a => `<th>${a}</th>`).join("") + "</tr>";
    for (const g of aggs) {
      h += `<tr><th class='left'>${g}</th>`;
      for (const a of atts) {
        const cs = x.cells.filter(c => c.aggregator === g && c.attack === a);
        const done = cs.filter(c => c.final != null);
        const running = cs.some(c => c.state === "running");
        const mean = done.length ? done.reduce((s, c) => s + c.final, 0) / done.length : null;
        const rel = hi > lo ? (mean - lo) / (hi - lo) : 1; // colour relative to the grid's range: red = worst, green = best
        const bg = mean == null ? "" : `background: hsl(${Math.round(120 * rel)}, 60%, 80%)`;
        h += `<td style="${bg}" title="${done.length} of ${cs.length} cells">${mean == null ? (running ? "…" : "") : fmt(100 * mean, 1) + "%"}` +
          `${done.length < cs.length && done.length ? " <span class='muted small'>(" + done.length + "/" + cs.length + ")</span>" : ""}</td>`;
      }
      h += "</tr>";
    }
    $("matrix").innerHTML = h + "</table>";
  }

  function render() {
    if (!S) return;
    renderStatus();
    if (S.mode === "experiment") { renderExperiment(); return; }
    renderCharts();
    renderHeatmap();
    renderColumns();
    renderCluster();
  }

  window.addEventListener("resize", () => { for (const k in charts) charts[k].destroy(); charts = {}; render(); });
  start();
})();
