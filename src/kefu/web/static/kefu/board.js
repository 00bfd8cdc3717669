// The supervisor board's charts (Apache ECharts, vendored): drawn from /board/data/ and
// redrawn in place every data-refresh seconds.
(function () {
  // Tooltips drawn on the canvas: ECharts' HTML tooltips carry inline styles, which the
  // Content-Security-Policy blocks.
  var TIP = { renderMode: "richText" };
  // Names (channels, departments) as a horizontal bar chart: each label on its own line of the
  // y axis, largest first, cut with … past 8em (the tooltip has all of it). The grid makes room
  // for the labels (containLabel) instead of letting them run off the canvas or into each other.
  function bar(rows, horizontal) {
    var names = rows.map(function (r) { return r.label; }), values = rows.map(function (r) { return r.n; });
    var cat = { type: "category", data: names, inverse: !!horizontal,
                axisLabel: { interval: 0, overflow: "truncate", width: horizontal ? 120 : 64 } };
    var val = { type: "value", minInterval: 1 };
    return { grid: { left: 8, right: 24, top: 10, bottom: 8, containLabel: true }, tooltip: TIP,
             xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val,
             series: [{ type: "bar", data: values, barMaxWidth: 28, itemStyle: { color: "#0b4f8a" } }] };
  }
  function line(days, values, name, max) {
    return { grid: { left: 40, right: 16, top: 10, bottom: 40 }, tooltip: Object.assign({ trigger: "axis" }, TIP),
             xAxis: { type: "category", data: days.map(function (d) { return d.slice(5); }) },
             yAxis: { type: "value", max: max, minInterval: 1 },
             series: [{ type: "line", name: name, data: values, connectNulls: true, itemStyle: { color: "#1d6b3a" } }] };
  }
  function draw(board, charts, data) {
    var labels = JSON.parse(document.getElementById("chart-labels").textContent);
    var options = {
      by_status: bar(data.by_status), by_channel: bar(data.by_channel, true), by_department: bar(data.by_department, true),
      created: line(data.days, data.created, labels.created), satisfaction: line(data.days, data.satisfaction, labels.satisfaction, 10)
    };
    Object.keys(charts).forEach(function (key) { charts[key].setOption(options[key], true); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (!board || !window.echarts) return;
    var charts = {};
    board.querySelectorAll("[data-chart]").forEach(function (el) { charts[el.dataset.chart] = window.echarts.init(el); });
    function load() {
      fetch(board.dataset.source, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) { draw(board, charts, data); board.dataset.loaded = String(Date.now()); });
    }
    load();
    setInterval(load, (parseInt(board.dataset.refresh, 10) || 30) * 1000);
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  });
})();
