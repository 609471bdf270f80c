// The reliability diagram of the churn risk page (ECharts, vendored): mean predicted
// probability against observed churn rate per band; the table beside it has the same numbers.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var source = document.getElementById("churn-calibration-data");
    var el = document.getElementById("churn-calibration");
    if (!source || !el || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var points = data.bins
      .filter(function (b) { return b.count > 0; })
      .map(function (b) { return { value: [b.predicted, b.observed], count: b.count }; });
    echarts.init(el).setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (!p.data || !p.data.value) return "";
          return data.labels.predicted + ": " + p.data.value[0] + "<br>" +
            data.labels.observed + ": " + p.data.value[1] + "<br>n = " + p.data.count;
        }
      },
      legend: { top: 0, data: [data.labels.observed, data.labels.ideal] },
      grid: { left: 60, right: 20, top: 40, bottom: 50 },
      xAxis: { type: "value", min: 0, max: 1, name: data.labels.predicted, nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "value", min: 0, max: 1, name: data.labels.observed },
      series: [
        { name: data.labels.ideal, type: "line", data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dashed", color: "#94a3b8" } },
        { name: data.labels.observed, type: "line", data: points, symbolSize: function (v, p) { return Math.min(24, 6 + Math.sqrt(p.data.count)); } }
      ]
    });
  });
})();
