// Analytics charts (ECharts, vendored): every element with data-chart="ID" is drawn from the
// JSON of <script type="application/json" id="ID">. The tables beside the charts carry the
// same numbers, so the pages also work without this file. Runs again after each HTMX swap.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var intFmt = new Intl.NumberFormat(lang);
  var pctFmt = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  var num = function (v) { return v === null || v === undefined ? "—" : intFmt.format(v); };
  var pct = function (v) { return v === null || v === undefined ? "—" : pctFmt.format(v); };
  var palette = ["#2563eb", "#16a34a", "#f59e0b", "#7c3aed", "#dc2626", "#0891b2", "#db2777"];

  function funnel(el, d) {
    var chart = echarts.init(el);
    var categories = d.steps.map(function (s, i) { return (i + 1) + ". " + s; });
    var series;
    if (d.breakdown && d.breakdown.length) {
      // one bar per breakdown value at each step; the label is that value's conversion
      series = d.breakdown.map(function (b) {
        return { name: b.value, type: "bar", data: b.counts, barMaxWidth: 40,
          label: { show: d.breakdown.length <= 4, position: "top", formatter: function (p) { return pct(b.conversion[p.dataIndex]); } } };
      });
    } else {
      series = [{ type: "bar", data: d.counts, barMaxWidth: 80,
        label: { show: true, position: "top", formatter: function (p) { return num(p.value) + " · " + pct(d.conversion[p.dataIndex]); } } }];
    }
    chart.setOption({
      color: palette,
      legend: d.breakdown ? { top: 0, type: "scroll" } : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (ps) {
          var i = ps[0].dataIndex;
          if (d.breakdown) {
            return d.steps[i] + ps.map(function (p) {
              var b = d.breakdown[p.seriesIndex];
              return "<br>" + p.marker + b.value + ": " + num(b.counts[i]) + " · " + pct(b.conversion[i]);
            }).join("");
          }
          return d.steps[i] + "<br>" + d.labels.count + ": " + num(d.counts[i]) +
            "<br>" + d.labels.conversion + ": " + pct(d.conversion[i]);
        } },
      grid: { left: 60, right: 20, top: d.breakdown ? 50 : 30, bottom: 60 },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, width: 120, overflow: "truncate" } },
      yAxis: { type: "value", name: d.labels.count, axisLabel: { formatter: num } },
      series: series
    });
    // A click on step k (k ≥ 2) lists who dropped between k − 1 and k.
    var url = el.getAttribute("data-dropped-url");
    if (url) {
      chart.on("click", function (p) {
        if (p.dataIndex < 1) return;
        var target = document.getElementById("dropped");
        var href = url + "&at=" + (p.dataIndex + 1);
        if (window.htmx && target) window.htmx.ajax("GET", href, { target: "#dropped" });
        else window.location.assign(href);
      });
    }
    return chart;
  }

  function retention(el, d) {
    var chart = echarts.init(el);
    var width = 0, points = [];
    d.retained.forEach(function (row, r) {
      width = Math.max(width, row.length);
      row.forEach(function (n, k) {
        // empty cohorts and periods that have not begun are left blank
        if (n === null || !d.sizes[r]) return;
        points.push([k, r, Math.round(n / d.sizes[r] * 1000) / 10, n]);
      });
    });
    var columns = [];
    for (var k = 1; k <= width; k++) columns.push("+" + k);
    chart.setOption({
      tooltip: { formatter: function (p) {
        var r = p.value[1];
        return d.labels.cohort + " " + d.cohorts[r] + " (" + num(d.sizes[r]) + ")<br>" +
          "+" + (p.value[0] + 1) + " " + d.labels.period + ": " + num(p.value[3]) + " · " + pctFmt.format(p.value[2] / 100);
      } },
      grid: { left: 90, right: 40, top: 10, bottom: 100 },
      xAxis: { type: "category", data: columns, name: d.labels.period, splitArea: { show: true } },
      yAxis: { type: "category", data: d.cohorts, inverse: true, splitArea: { show: true } },
      // colour by the share (dimension 2); dimension 3 is the count shown in the tooltip
      visualMap: { min: 0, max: 100, dimension: 2, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   formatter: function (v) { return Math.round(v) + "%"; },
                   inRange: { color: ["#f8fafc", "#bfdbfe", "#3b82f6", "#1e3a8a"] } },
      series: [{ type: "heatmap", data: points, progressive: 0,
        label: { show: d.cohorts.length <= 16 && width <= 16, formatter: function (p) { return p.value[2] + "%"; }, fontSize: 10 } }]
    });
    return chart;
  }

  function funnelTime(el, d) {
    var chart = echarts.init(el);
    var t = d.over_time;
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", formatter: function (ps) {
        var i = ps[0].dataIndex;
        return t.dates[i] + "<br>" + t.labels.conversion + ": " + pct(t.conversion[i]) + "<br>" + t.labels.entered + ": " + num(t.entered[i]);
      } },
      grid: { left: 60, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: t.dates },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: pct } },
      series: [{ name: t.labels.conversion, type: "line", data: t.conversion, connectNulls: false }]
    });
    return chart;
  }

  function timeToConvert(el, d) {
    var chart = echarts.init(el);
    var t = d.time_to_convert;
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", valueFormatter: num },
      grid: { left: 60, right: 20, top: 20, bottom: 50 },
      xAxis: { type: "category", data: t.buckets, axisLabel: { interval: 0, rotate: t.buckets.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: t.labels.count, axisLabel: { formatter: num } },
      series: [{ type: "bar", data: t.counts, barMaxWidth: 50 }]
    });
    return chart;
  }

  function curves(el, d) {
    var chart = echarts.init(el);
    var width = 0;
    d.retained.forEach(function (row) { width = Math.max(width, row.length); });
    var columns = [];
    for (var k = 1; k <= width; k++) columns.push("+" + k);
    var series = [{ name: d.labels.average, type: "line", data: d.curve, lineStyle: { width: 3 }, z: 3 }];
    // with a breakdown: one weighted curve per value; otherwise the last six cohorts
    (d.breakdown || []).forEach(function (b) {
      series.push({ name: b.value, type: "line", data: b.curve, showSymbol: false });
    });
    d.retained.slice(d.breakdown ? d.retained.length : -6).forEach(function (row, i) {
      var r = d.retained.length - Math.min(6, d.retained.length) + i;
      series.push({ name: d.cohorts[r], type: "line", showSymbol: false, lineStyle: { width: 1, opacity: 0.6 },
        data: row.map(function (n) { return d.sizes[r] && n !== null ? n / d.sizes[r] : null; }) });
    });
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: columns, name: d.labels.period },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: pct } },
      series: series
    });
    return chart;
  }

  function paths(el, d) {
    var chart = echarts.init(el);
    var name = function (level, event) { return level + "·" + event; };
    var label = function (event) { return event === "$other" ? d.labels.other : event; };
    var nodes = d.nodes.map(function (n) {
      return { name: name(n.level, n.event), value: n.count, depth: d.direction === "after" ? n.level - 1 : undefined };
    });
    var links = d.links.map(function (x) {
      // "before" paths count levels backwards from the end event: draw them right to left.
      if (d.direction === "before") return { source: name(x.level + 1, x.target), target: name(x.level, x.source), value: x.count };
      return { source: name(x.level, x.source), target: name(x.level + 1, x.target), value: x.count };
    });
    chart.setOption({
      color: palette,
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.dataType === "edge") return label(p.data.source.split("·").slice(1).join("·")) + " → " + label(p.data.target.split("·").slice(1).join("·")) + ": " + num(p.value);
        return label(p.name.split("·").slice(1).join("·")) + ": " + num(p.value) + " " + d.labels.entities;
      } },
      series: [{ type: "sankey", data: nodes, links: links, emphasis: { focus: "adjacency" },
        nodeAlign: "justify", left: 10, right: 140, top: 10, bottom: 10,
        label: { formatter: function (p) { return label(p.name.split("·").slice(1).join("·")) + " (" + num(p.value) + ")"; } },
        lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.35 } }]
    });
    return chart;
  }

  function trends(el, d) {
    var chart = echarts.init(el);
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", valueFormatter: num },
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: d.dates },
      yAxis: { type: "value", name: d.labels.metric, axisLabel: { formatter: num } },
      series: d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, showSymbol: d.dates.length < 40, areaStyle: d.series.length === 1 ? { opacity: 0.08 } : undefined };
      })
    });
    return chart;
  }

  function active(el, d) {
    var chart = echarts.init(el);
    var L = d.labels;
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", formatter: function (ps) {
        var i = ps[0].dataIndex;
        return d.dates[i] + "<br>" + L.dau + ": " + num(d.dau[i]) + "<br>" + L.wau + ": " + num(d.wau[i]) +
          "<br>" + L.mau + ": " + num(d.mau[i]) + "<br>" + L.stickiness + ": " + pct(d.stickiness[i]);
      } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: "category", data: d.dates },
      yAxis: [{ type: "value", axisLabel: { formatter: num } },
              { type: "value", min: 0, axisLabel: { formatter: pct } }],
      series: [
        { name: L.dau, type: "line", data: d.dau, showSymbol: false },
        { name: L.wau, type: "line", data: d.wau, showSymbol: false },
        { name: L.mau, type: "line", data: d.mau, showSymbol: false },
        { name: L.stickiness, type: "line", yAxisIndex: 1, data: d.stickiness, showSymbol: false, lineStyle: { type: "dashed" } }
      ]
    });
    return chart;
  }

  function aarrr(el, d) {
    var chart = echarts.init(el);
    var names = d.stages.map(function (s) { return s.label; });
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var s = d.stages[ps[0].dataIndex];
        var out = s.label + "<br>" + d.labels.count + ": " + num(s.count) + "<br>" + d.labels.conversion + ": " + pct(s.conversion);
        if (s.target !== null) out += "<br>" + d.labels.target + ": " + pct(s.target);
        return out;
      } },
      legend: { top: 0, data: [d.labels.conversion, d.labels.target] },
      grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: "category", data: names },
      yAxis: [{ type: "value", name: d.labels.count, axisLabel: { formatter: num } },
              { type: "value", name: d.labels.conversion, axisLabel: { formatter: pct }, min: 0 }],
      series: [
        { name: d.labels.count, type: "bar", barMaxWidth: 70,
          data: d.stages.map(function (s) {
            return { value: s.count, itemStyle: { color: s.weakest ? "#dc2626" : "#2563eb" } };
          }),
          label: { show: true, position: "top", formatter: function (p) { return num(p.value); } } },
        { name: d.labels.conversion, type: "line", yAxisIndex: 1, data: d.stages.map(function (s) { return s.conversion; }) },
        { name: d.labels.target, type: "scatter", yAxisIndex: 1, symbol: "rect", symbolSize: [28, 4],
          itemStyle: { color: "#111827" }, data: d.stages.map(function (s) { return s.target; }) }
      ]
    });
    return chart;
  }

  var DRAW = { funnel: funnel, funnel_time: funnelTime, ttc: timeToConvert, retention: retention, curves: curves, paths: paths, trends: trends, active: active, aarrr: aarrr };

  function drawAll(root) {
    if (typeof echarts === "undefined") return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (echarts.getInstanceByDom(el)) return;
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var draw = DRAW[el.getAttribute("data-chart-kind") || data.type];
      if (draw) {
        draw(el, data);
        el.setAttribute("data-drawn", "1");
      }
    });
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = typeof echarts !== "undefined" && echarts.getInstanceByDom(el);
      if (c) c.resize();
    });
  });
})();
