// The report page's charts (Apache ECharts, vendored), drawn from the figures the page carries
// in #report-charts (the same figures as its tables; no inline code under the CSP).
(function () {
  var TIP = { renderMode: "richText" };
  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  function bySeries(data, codes) { return data.series.series.filter(function (s) { return codes.indexOf(s.code) >= 0; }); }
  function volume(data) {
    var colors = ["#0b4f8a", "#a8321f"];
    return { grid: { left: 48, right: 16, top: 30, bottom: 40 }, tooltip: Object.assign({ trigger: "axis" }, TIP),
             legend: { top: 0 }, xAxis: { type: "category", data: data.series.labels },
             yAxis: { type: "value", minInterval: 1 },
             series: bySeries(data, ["orders_registered", "complaints"]).map(function (s, i) {
               return { type: "bar", name: s.name, data: s.data, itemStyle: { color: colors[i] } }; }) };
  }
  function rates(data) {
    var colors = ["#1d6b3a", "#7a4b00"];
    return { grid: { left: 48, right: 16, top: 30, bottom: 40 }, tooltip: Object.assign({ trigger: "axis" }, TIP),
             legend: { top: 0 }, xAxis: { type: "category", data: data.series.labels },
             yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
             series: bySeries(data, ["satisfaction_rate", "on_time_rate"]).map(function (s, i) {
               return { type: "line", name: s.name, data: s.data.map(pct), connectNulls: true, itemStyle: { color: colors[i] } }; }) };
  }
  function lines(data, codes, colors, yAxis, scale) {
    return { grid: { left: 48, right: 16, top: 30, bottom: 40 }, tooltip: Object.assign({ trigger: "axis" }, TIP),
             legend: { top: 0 }, xAxis: { type: "category", data: data.series.labels }, yAxis: yAxis,
             series: bySeries(data, codes).map(function (s, i) {
               return { type: "line", name: s.name, data: s.data.map(scale), connectNulls: true, itemStyle: { color: colors[i] } }; }) };
  }
  // The satisfaction page: rates in percent, the dimensions' mean scores on 1–10.
  function satisfaction(data) {
    return lines(data, ["satisfaction_rate", "response_rate"], ["#1d6b3a", "#0b4f8a"],
                 { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }, pct);
  }
  function dimensions(data) {
    return lines(data, ["score_attitude", "score_result", "score_timeliness"], ["#1d6b3a", "#a8321f", "#7a4b00"],
                 { type: "value", min: 1, max: 10 }, function (v) { return v === null || v === undefined ? null : Math.round(v * 10) / 10; });
  }
  function pareto(data) {
    if (!data.pareto) return null;
    var rows = data.pareto;
    return { grid: { left: 48, right: 48, top: 30, bottom: 60, containLabel: true }, tooltip: Object.assign({ trigger: "axis" }, TIP),
             legend: { top: 0 },
             xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { interval: 0, rotate: 30, overflow: "truncate", width: 96 } },
             yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
             series: [{ type: "bar", name: data.labels.count, data: rows.map(function (r) { return r.count; }), itemStyle: { color: "#a8321f" } },
                      { type: "line", name: data.labels.cumulative, yAxisIndex: 1, data: rows.map(function (r) { return pct(r.cumulative); }), itemStyle: { color: "#333" } }] };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("report-charts");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var options = { volume: volume(data), rates: rates(data), pareto: pareto(data), satisfaction: satisfaction(data), dimensions: dimensions(data) };
    var charts = [];
    document.querySelectorAll("#report-charts-area [data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el); chart.setOption(options[el.dataset.chart], true); charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
