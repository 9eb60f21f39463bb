// The customer's booking page. The manage token comes in the link's fragment
// (#token=...), which browsers never send to a server or put in its logs; it
// is kept for this tab only and sent to the API as X-Booking-Token, and in
// the body of the "Add to calendar" form.
(function () {
  "use strict";
  var root = document.getElementById("manage");
  var reference = root.dataset.reference;
  var token = window.SalonBook.tokenFromLink("salonbook-token-" + reference);
  var status = document.getElementById("manage-status");
  var details = document.getElementById("manage-details");
  var cutoff = document.getElementById("manage-cutoff");
  var actions = document.getElementById("manage-actions");
  var icsForm = document.getElementById("manage-ics");
  var cancelForm = document.getElementById("manage-cancel");
  var moveSection = document.getElementById("manage-move");
  var dayForm = document.getElementById("move-day");
  var dateInput = document.getElementById("move-date");
  var moveForm = document.getElementById("move-form");
  var times = document.getElementById("move-times");
  var noTimes = document.getElementById("move-none");
  var salonBox = document.getElementById("manage-salon");
  var seriesSection = document.getElementById("manage-series");
  var seriesForm = document.getElementById("manage-series-cancel");
  var url = "/api/bookings/" + encodeURIComponent(reference) + "/";
  var UNREACHABLE = "We could not reach the salon just now. Please try again.";
  var current = null;
  var seriesCancelled = false;

  function say(text, kind) { window.SalonBook.say(status, text, kind); }

  // The API's error envelope in words: its message, and what it says about each field.
  function problem(body, fallback) {
    var error = body && body.error;
    if (!error) { return fallback; }
    var words = [error.message];
    var fields = error.details || {};
    Object.keys(fields).forEach(function (name) {
      if (Array.isArray(fields[name])) { words.push(fields[name].join(" ")); }
    });
    return words.join(" ");
  }

  // The salon's own wall-clock time, as the API wrote it, whatever the
  // phone's time zone: the appointment is where the salon is.
  function wall(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  }

  // The salon's locale (its language in its country, from its info): a
  // London salon's times read "Tuesday 8 December at 09:15" on any phone.
  var locale = document.documentElement.lang || undefined;

  function when(iso) {
    return wall(iso).toLocaleString(locale, {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "UTC",
    });
  }

  function clock(iso) {
    return iso.slice(11, 16);
  }

  function field(name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function show(booking) {
    current = booking;
    // A visit names each service and its staff member, in order.
    var parts = booking.parts && booking.parts.length ? booking.parts : [booking];
    field("service").textContent = parts.map(function (part) {
      return parts.length > 1 ? part.service.name + " (" + clock(part.start) + ")" : part.service.name;
    }).join(" + ");
    field("staff").textContent = parts.map(function (part) { return part.staff.name; }).join(", ");
    field("when").textContent = when(booking.start);
    field("status").textContent = booking.status.replace("_", "-");
    details.hidden = false;
    actions.hidden = false;
    var active = booking.status === "pending" || booking.status === "confirmed";
    // The server decides at the moment it is asked; the phone's clock only
    // decides what to offer.
    var open = active && Date.parse(booking.changes_close_at) > Date.now();
    cutoff.hidden = !active;
    icsForm.hidden = !active;
    cutoff.textContent = open
      ? "You can cancel or move until " + when(booking.changes_close_at) + "."
      : "Online changes closed on " + when(booking.changes_close_at) + ". Please call the salon.";
    cancelForm.hidden = !open || booking.allowed_moves.indexOf("cancel") === -1;
    moveSection.hidden = !open;
    // Later bookings of a standing appointment can be cancelled from any of
    // them, even one of its own already cancelled or past its cut-off.
    seriesSection.hidden = !booking.series || seriesCancelled;
    if (!dateInput.value) { dateInput.value = booking.start.slice(0, 10); }
  }

  function showSalon(salon) {
    if (salon.locale && salon.locale !== locale) {
      locale = salon.locale;
      if (current) { show(current); }
    }
    field("salon-name").textContent = salon.name;
    field("salon-address").textContent = salon.address;
    var phone = field("salon-phone");
    phone.textContent = salon.whatsapp_phone;
    phone.href = "tel:" + salon.whatsapp_phone;
    phone.parentNode.hidden = !salon.whatsapp_phone;
    salonBox.hidden = false;
  }

  function call(method, path, body) {
    var headers = { "X-Booking-Token": token || "", "Accept": "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {
      method: method,
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, body: answer }; });
    });
  }

  function showTimes(slots) {
    times.innerHTML = "";
    slots.forEach(function (slot) {
      var label = document.createElement("label");
      label.className = "time-pill";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "start";
      input.value = slot.start;
      input.required = true;
      var text = document.createElement("span");
      text.textContent = clock(slot.start);
      label.appendChild(input);
      label.appendChild(text);
      times.appendChild(label);
    });
    noTimes.hidden = slots.length > 0;
    moveForm.hidden = false;
    moveForm.querySelector('button[type="submit"]').hidden = slots.length === 0;
  }

  // The same service with the same staff member (a visit: the same parts
  // with theirs), on the day asked for.
  // Picking a day loads its times (change) and so does "Show free times"
  // (submit), often both for one day: a day already asked for is not asked
  // again (a second answer would redraw the times under the customer's
  // choice), and only the answer of the latest request is shown.
  var timesRequest = 0;
  var timesDay = null;

  function loadTimesOfNewDay() {
    if (dateInput.value !== timesDay) { loadTimes(); }
  }

  function loadTimes() {
    var request = ++timesRequest;
    timesDay = dateInput.value;
    var parts = current.parts && current.parts.length > 1 ? current.parts : null;
    // A visit moves whole, each part with its own staff member.
    var query = "?date=" + encodeURIComponent(dateInput.value) + (parts
      ? "&services=" + parts.map(function (p) { return p.service.id; }).join(",") +
        "&staff=" + parts.map(function (p) { return p.staff.id; }).join(",")
      : "&service=" + current.service.id + "&staff=" + current.staff.id);
    return fetch("/api/salons/" + encodeURIComponent(current.salon) + "/availability/" + query, {
      headers: { "Accept": "application/json" }, credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (request !== timesRequest) { return; }
        if (!response.ok) {
          moveForm.hidden = true;
          say(problem(answer, "We could not find free times for that day."), "error");
          return;
        }
        showTimes(answer.slots);
      });
    }).catch(function () { say(UNREACHABLE, "error"); });
  }

  if (!token) {
    say("This link is missing its secret part. Open the link from your confirmation or reminder message again.", "error");
    return;
  }
  icsForm.elements.token.value = token;

  call("GET", url).then(function (answer) {
    if (!answer.ok) {
      say("We could not find this booking. Check that you opened the whole link.", "error");
      return;
    }
    status.innerHTML = "";
    show(answer.body);
    return fetch("/api/salons/" + encodeURIComponent(answer.body.salon) + "/", {
      headers: { "Accept": "application/json" }, credentials: "omit",
    }).then(function (response) {
      if (response.ok) { return response.json().then(showSalon); }
    });
  }).catch(function () { say(UNREACHABLE, "error"); });

  cancelForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!window.confirm("Cancel this booking?")) { return; }
    call("POST", url + "cancel/").then(function (answer) {
      if (answer.ok) {
        show(answer.body);
        say("Your booking is cancelled.", "success");
      } else {
        say(problem(answer.body, "The booking could not be cancelled."), "error");
      }
    }).catch(function () { say(UNREACHABLE, "error"); });
  });

  seriesForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!window.confirm("Cancel every booking still ahead in this standing appointment?")) { return; }
    call("POST", "/api/series/" + encodeURIComponent(current.series) + "/cancel/").then(function (answer) {
      if (!answer.ok) {
        say(problem(answer.body, "The bookings could not be cancelled."), "error");
        return;
      }
      var cancelled = answer.body.cancelled.length;
      var kept = answer.body.kept.length;
      var words = cancelled === 0 ? "No booking was left to cancel."
        : cancelled === 1 ? "1 booking is cancelled." : cancelled + " bookings are cancelled.";
      if (kept) {
        words += " " + (kept === 1 ? "1 is" : kept + " are") + " inside the cut-off and stay booked: please call the salon.";
      }
      seriesCancelled = true;
      say(words, "success");
      return call("GET", url).then(function (again) { if (again.ok) { show(again.body); } });
    }).catch(function () { say(UNREACHABLE, "error"); });
  });

  dayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    loadTimesOfNewDay();
  });
  dateInput.addEventListener("change", function () {
    if (dateInput.value) { loadTimesOfNewDay(); }
  });

  moveForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = moveForm.querySelector('input[name="start"]:checked');
    if (!chosen) { say("Choose one of the free times first.", "error"); return; }
    call("POST", url + "reschedule/", { start: chosen.value }).then(function (answer) {
      if (answer.ok) {
        show(answer.body);
        say("Your booking is moved to " + when(answer.body.start) + ".", "success");
      } else {
        say(problem(answer.body, "The booking could not be moved."), "error");
      }
      return loadTimes();
    }).catch(function () { say(UNREACHABLE, "error"); });
  });
})();
