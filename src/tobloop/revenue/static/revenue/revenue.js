// Charts of the Revenue page (ECharts, vendored). The tables beside them carry the same numbers.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var source = document.getElementById("revenue-data");
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var money = function (v) { return Math.round(v).toLocaleString(); };

    var mrrEl = document.getElementById("mrr-chart");
    if (mrrEl) {
      echarts.init(mrrEl).setOption({
        tooltip: { trigger: "axis", valueFormatter: money },
        legend: { top: 0, data: [labels.mrr, labels.arr] },
        grid: { left: 70, right: 70, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.months },
        yAxis: [{ type: "value", name: labels.mrr }, { type: "value", name: labels.arr }],
        series: [
          { name: labels.mrr, type: "line", data: data.mrr, showSymbol: false, areaStyle: { opacity: 0.08 } },
          { name: labels.arr, type: "line", yAxisIndex: 1, data: data.arr, showSymbol: false, lineStyle: { type: "dashed" } }
        ]
      });
    }

    var bridgeEl = document.getElementById("bridge-chart");
    if (bridgeEl) {
      var kinds = ["new", "reactivation", "expansion", "contraction", "churn"];
      var colors = { new: "#2563eb", reactivation: "#7c3aed", expansion: "#16a34a", contraction: "#f59e0b", churn: "#dc2626" };
      var chart = echarts.init(bridgeEl);
      chart.setOption({
        tooltip: { trigger: "axis", valueFormatter: money },
        legend: { top: 0, data: kinds.map(function (k) { return labels[k]; }) },
        grid: { left: 70, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.months },
        yAxis: { type: "value" },
        series: kinds.map(function (k) {
          return { name: labels[k], type: "bar", stack: k === "contraction" || k === "churn" ? "down" : "up",
                   data: data.bridge[k], itemStyle: { color: colors[k] }, kind: k };
        })
      });
      var open = function (month, kind) {
        var url = bridgeEl.getAttribute("data-url") + "?month=" + encodeURIComponent(month) +
          (kind ? "&kind=" + kind : "") + "&" + (bridgeEl.getAttribute("data-query") || "");
        if (window.htmx) {
          window.htmx.ajax("GET", url, { target: "#drill" });
          document.getElementById("drill").scrollIntoView({ behavior: "smooth", block: "start" });
        } else {
          window.location.assign(url);
        }
      };
      var onBar = false;
      // A bar: the accounts of that movement in that month.
      chart.on("click", function (params) {
        onBar = true;
        open(params.name, kinds[params.seriesIndex]);
      });
      // Anywhere else in a month's column: every movement of that month.
      chart.getZr().on("click", function (event) {
        if (onBar) { onBar = false; return; }
        var point = [event.offsetX, event.offsetY];
        if (!chart.containPixel("grid", point)) return;
        var index = chart.convertFromPixel({ seriesIndex: 0 }, point)[0];
        if (index >= 0 && index < data.months.length) open(data.months[index], null);
      });
    }

    var cohortEl = document.getElementById("cohort-chart");
    if (cohortEl) {
      var cohortChart = echarts.init(cohortEl);
      var draw = function (mode) {
        var points = [];
        var width = 0;
        data.cohorts.forEach(function (c, row) {
          var values = mode === "logo" ? c.logo_retention : c.mrr_retention;
          width = Math.max(width, values.length);
          values.forEach(function (v, k) {
            if (v !== null) points.push([k, row, Math.round(v * 1000) / 10]);
          });
        });
        var columns = [];
        for (var k = 0; k < width; k++) columns.push(String(k));
        cohortChart.setOption({
          tooltip: { formatter: function (p) { return data.cohorts[p.value[1]].cohort + " +" + p.value[0] + ": " + p.value[2] + "%"; } },
          grid: { left: 70, right: 20, top: 10, bottom: 60 },
          xAxis: { type: "category", data: columns, name: "+m" },
          yAxis: { type: "category", data: data.cohorts.map(function (c) { return c.cohort; }), inverse: true },
          visualMap: { min: 0, max: 120, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                       inRange: { color: ["#fee2e2", "#fef3c7", "#dcfce7", "#16a34a"] } },
          series: [{ type: "heatmap", data: points, progressive: 0 }]
        }, true);
      };
      draw("mrr");
      var select = document.getElementById("cohort-mode");
      if (select) select.addEventListener("change", function () { draw(select.value); });
    }
    window.addEventListener("resize", function () {
      document.querySelectorAll(".chart").forEach(function (el) {
        var c = echarts.getInstanceByDom(el);
        if (c) c.resize();
      });
    });
  });
})();
