// The account page's health history chart (ECharts, vendored; loaded on demand because the
// panel arrives by HTMX). The score line is what applied each day, the dashed one what the
// profile computed (they differ while a CSM override applies).
(function () {
  "use strict";
  function draw(el) {
    if (el.dataset.drawn) return;
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    var score = data.kind === "score";
    var colors = ["#dc2626", "#b45309", "#16a34a"];
    // Days are uneven (weekly, then daily): a time axis keeps their spacing true.
    var pairs = function (values) {
      return data.days.map(function (d, i) { return [d, values[i]]; });
    };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 24, bottom: 28 },
      xAxis: { type: "time", axisLabel: { hideOverlap: true } },
      yAxis: score ? { type: "value", min: 0, max: 100 }
                   : { type: "value", min: 0, max: 2, interval: 1,
                       axisLabel: { formatter: function (v) { return data.labels[v] || ""; } } },
      visualMap: score ? undefined : { show: false, dimension: 1, pieces: [
        { value: 0, color: colors[0] }, { value: 1, color: colors[1] }, { value: 2, color: colors[2] }] },
      series: score ? [
        { name: data.labels.score, type: "line", data: pairs(data.score), connectNulls: false, showSymbol: data.days.length < 40 },
        { name: data.labels.computed, type: "line", data: pairs(data.computed), lineStyle: { type: "dashed" }, showSymbol: false }
      ] : [{ name: data.labels.colour, type: "line", step: "end", data: pairs(data.level) }]
    });
    el.dataset.drawn = "1";
  }
  function drawAll() {
    var els = document.querySelectorAll("[data-health-chart]");
    if (!els.length) return;
    window.tobloopWithEcharts(els[0].dataset.echarts, function () { els.forEach(draw); });
  }
  window.tobloopHealthCharts = drawAll;
  document.addEventListener("htmx:afterSettle", drawAll);
  if (document.readyState !== "loading") drawAll();
  else document.addEventListener("DOMContentLoaded", drawAll);
})();
