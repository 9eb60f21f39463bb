// Charts of the admins' metrics page, drawn with the vendored Chart.js.
(function () {
  "use strict";
  var source = document.getElementById("metrics-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = {
    completed: "#15803d", confirmed: "#1d4ed8", pending: "#d97706", no_show: "#b91c1c", cancelled: "#9ca3af",
    p50: "#0f766e", p95: "#d97706", p99: "#b91c1c", hits: "#0f766e", misses: "#d1d5db",
    sent: "#15803d", retried: "#d97706", failed: "#b91c1c", expired: "#9ca3af"
  };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#374151";

  // Long routes keep their informative end on a phone: "…/<slug:slug>/book/".
  function shortRoute(value) {
    var label = this.getLabelForValue(value);
    var room = window.innerWidth < 640 ? 24 : 48;
    return label.length > room ? "…" + label.slice(label.length - room + 1) : label;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  var bookings = data.bookings;
  draw("chart-bookings", {
    type: "bar",
    data: {
      labels: bookings.labels,
      datasets: bookings.series.map(function (s) {
        return { label: s.label, data: s.data, backgroundColor: colours[s.status], stack: "day" };
      })
    },
    options: {
      scales: { x: { stacked: true, ticks: { maxRotation: 60, autoSkip: true } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });

  var latency = data.latency;
  if (latency.labels.length) {
    draw("chart-latency", {
      type: "bar",
      data: {
        labels: latency.labels,
        datasets: ["p50", "p95", "p99"].map(function (key) {
          return { label: key, data: latency[key], backgroundColor: colours[key] };
        })
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, title: { display: true, text: "ms" } }, y: { ticks: { autoSkip: false, font: { size: 11 }, callback: shortRoute } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  var cache = data.cache;
  draw("chart-cache", {
    type: "doughnut",
    data: { labels: ["Hits", "Misses"], datasets: [{ data: [cache.hits, cache.misses], backgroundColor: [colours.hits, colours.misses] }] },
    options: { plugins: { legend: { position: "bottom" } } }
  });

  var reminders = data.messages;
  var reminderKeys = ["sent", "retried", "failed", "expired"];
  draw("chart-messages", {
    type: "bar",
    data: {
      labels: reminderKeys.map(function (k) { return k.charAt(0).toUpperCase() + k.slice(1); }),
      datasets: [{ label: "Messages", data: reminderKeys.map(function (k) { return reminders[k] || 0; }), backgroundColor: reminderKeys.map(function (k) { return colours[k]; }) }]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
  });

  var events = data.events;
  var eventKeys = Object.keys(events);
  draw("chart-events", {
    type: "bar",
    data: {
      labels: eventKeys.map(function (k) { return k.replace("_", "-"); }),
      datasets: [{ label: "Events", data: eventKeys.map(function (k) { return events[k]; }), backgroundColor: "#0f766e" }]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
  });
})();
