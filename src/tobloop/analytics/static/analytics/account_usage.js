// The account page's usage panel: weekly active users of the last 16 weeks against the
// account's own baseline (ECharts, vendored; loaded on demand because the panel arrives by HTMX).
(function () {
  "use strict";
  function draw(el) {
    if (el.dataset.drawn) return;
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 30, bottom: 28 },
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.labels.users, type: "line", data: data.users, showSymbol: true },
        { name: data.labels.baseline, type: "line", showSymbol: false,
          lineStyle: { type: "dashed" },
          data: data.weeks.map(function (_w, i) { return i < 12 ? data.baseline : null; }) }
      ]
    });
    el.dataset.drawn = "1";
  }
  function drawAll() {
    var els = document.querySelectorAll("[data-usage-chart]");
    if (!els.length) return;
    window.tobloopWithEcharts(els[0].dataset.echarts, function () { els.forEach(draw); });
  }
  drawAll();
})();
