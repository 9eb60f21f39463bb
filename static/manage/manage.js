// The customer's booking page. The manage token comes in the link's fragment
// (#token=...), which browsers never send to a server or put in its logs; it
// is kept for this tab only and sent to the API as X-Booking-Token.
(function () {
  "use strict";
  var root = document.getElementById("manage");
  var reference = root.dataset.reference;
  var storageKey = "salonbook-token-" + reference;
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(storageKey, decodeURIComponent(match[1]));
    history.replaceState(null, "", window.location.pathname);
  }
  var token = sessionStorage.getItem(storageKey);
  var status = document.getElementById("manage-status");
  var details = document.getElementById("manage-details");
  var cancelForm = document.getElementById("manage-cancel");
  var url = "/api/bookings/" + encodeURIComponent(reference) + "/";

  function say(text, kind) {
    status.innerHTML = "";
    var p = document.createElement("p");
    p.className = "message message-" + (kind || "info");
    p.textContent = text;
    status.appendChild(p);
  }

  // The salon's own wall-clock time, as the API wrote it, whatever the
  // phone's time zone: the appointment is where the salon is.
  function when(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    var wall = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
    return wall.toLocaleString(undefined, {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "UTC",
    });
  }

  function show(booking) {
    details.querySelector('[data-field="service"]').textContent = booking.service.name;
    details.querySelector('[data-field="staff"]').textContent = booking.staff.name;
    details.querySelector('[data-field="when"]').textContent = when(booking.start);
    details.querySelector('[data-field="status"]').textContent = booking.status.replace("_", "-");
    details.hidden = false;
    cancelForm.hidden = booking.allowed_moves.indexOf("cancel") === -1;
  }

  function call(method, path) {
    return fetch(path, {
      method: method,
      headers: { "X-Booking-Token": token || "", "Accept": "application/json" },
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  if (!token) {
    say("This link is missing its secret part. Open the link from your confirmation or reminder message again.", "error");
    return;
  }
  call("GET", url).then(function (answer) {
    if (!answer.ok) {
      say("We could not find this booking. Check that you opened the whole link.", "error");
      return;
    }
    status.innerHTML = "";
    show(answer.body);
  }).catch(function () { say("We could not reach the salon just now. Please try again.", "error"); });

  cancelForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!window.confirm("Cancel this booking?")) { return; }
    call("POST", url + "cancel/").then(function (answer) {
      if (answer.ok) {
        show(answer.body);
        say("Your booking is cancelled.", "success");
      } else {
        say(answer.body.error ? answer.body.error.message : "The booking could not be cancelled.", "error");
      }
    }).catch(function () { say("We could not reach the salon just now. Please try again.", "error"); });
  });
})();
