// Charts of a salon's report page, drawn with the vendored Chart.js from the
// data the page carries as JSON (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = { completed: "#15803d", confirmed: "#1d4ed8", pending: "#d97706", no_show: "#b91c1c", cancelled: "#9ca3af" };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#374151";

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-statuses", {
    type: "doughnut",
    data: {
      labels: data.statuses.map(function (s) { return s.label; }),
      datasets: [{ data: data.statuses.map(function (s) { return s.count; }), backgroundColor: data.statuses.map(function (s) { return colours[s.status]; }) }]
    },
    options: { plugins: { legend: { position: "bottom" } } }
  });

  draw("chart-staff", {
    type: "bar",
    data: { labels: data.staff.labels, datasets: [{ label: "Utilisation %", data: data.staff.utilisation, backgroundColor: "#0f766e" }] },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: "%" } } },
      plugins: { legend: { display: false } }
    }
  });

  draw("chart-hours", {
    type: "bar",
    data: { labels: data.hours.labels, datasets: [{ label: "Bookings", data: data.hours.counts, backgroundColor: "#1d4ed8" }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
  });
})();
