// Admin market dashboard charts (Chart.js, vendored from the npm package by `make vendor`).
(function () {
  "use strict";
  function draw() {
    if (!window.Chart) return;
    var data = JSON.parse(document.getElementById("chart-data").textContent);
    var brand = "#0f5e9c";
    function bar(id, series, opts) {
      var el = document.getElementById(id);
      if (!el) return;
      new window.Chart(el, {
        type: "bar",
        data: { labels: series.labels, datasets: [{ label: series.label, data: series.values, backgroundColor: brand, maxBarThickness: 36 }] },
        options: Object.assign({ animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }, opts || {})
      });
    }
    bar("chart-posted", data.posted);
    bar("chart-declines", data.declines, { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
    bar("chart-regions", data.regions, { indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true, max: 100 } } });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
