// The salon's booking page: services -> stylist per service -> day -> time ->
// details -> booked. Everything it books goes through the public API, as an
// app would; the page's own data (services, staff, words in the page's
// language) comes in the page as a JSON data block.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var T = page.text;
  var api = "/api/salons/" + encodeURIComponent(page.slug) + "/";
  var status = document.getElementById("status");
  var chosen = { services: [], staff: {}, month: page.today.slice(0, 7), day: null, start: null };
  var key = null; // the Idempotency-Key of one booking attempt: a second click resends it
  var waitlistKey = null; // the same for one offer of the waitlist: one entry however often it is sent
  var busy = false;

  function $(id) { return document.getElementById(id); }

  function say(text, kind) {
    status.textContent = "";
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = "message " + (kind || "info");
    p.textContent = text;
    status.appendChild(p);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function show(id) {
    Array.prototype.forEach.call(document.querySelectorAll(".step"), function (step) {
      step.hidden = step.id !== id;
    });
    var title = $(id).querySelector("h2");
    if (title) { title.focus(); }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "k" + Date.now() + Math.random().toString(16).slice(2);
  }

  function request(method, url, body, headers) {
    var options = { method: method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, body: data };
      });
    });
  }

  // Dates and times where the salon is, in the page's language.
  function format(iso, options) {
    return new Intl.DateTimeFormat(page.locale, Object.assign({ timeZone: page.timezone }, options)).format(new Date(iso));
  }
  function clock(iso) { return format(iso, { hour: "2-digit", minute: "2-digit" }); }
  function dayName(date) {
    return new Intl.DateTimeFormat(page.locale, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" })
      .format(new Date(date + "T12:00:00Z"));
  }

  function serviceById(id) {
    return page.services.filter(function (s) { return s.id === id; })[0];
  }

  function isVisit() { return chosen.services.length > 1; }

  // The query naming the services and stylists: today's single-service API
  // for one service, the visit form ("services=1,2&staff=3,any") for several.
  function serviceQuery() {
    if (!isVisit()) {
      var id = chosen.services[0];
      var q = "service=" + id;
      if (chosen.staff[id]) { q += "&staff=" + chosen.staff[id]; }
      return q;
    }
    var staff = chosen.services.map(function (id) { return chosen.staff[id] || "any"; });
    var query = "services=" + chosen.services.join(",");
    if (staff.some(function (s) { return s !== "any"; })) { query += "&staff=" + staff.join(","); }
    return query;
  }

  // --- 1. Services ---------------------------------------------------------------
  $("services-form").addEventListener("submit", function (event) {
    event.preventDefault();
    chosen.services = Array.prototype.map.call(
      this.querySelectorAll("input[name=service]:checked"), function (box) { return +box.value; });
    if (!chosen.services.length) { say(T.pick_service, "error"); return; }
    say("");
    buildStaffFields();
    show("step-staff");
  });

  // --- 2. Stylist per service ------------------------------------------------------
  function buildStaffFields() {
    var box = $("staff-fields");
    box.textContent = "";
    chosen.services.forEach(function (id) {
      var field = document.createElement("div");
      field.className = "field";
      var label = document.createElement("label");
      label.htmlFor = "staff-" + id;
      label.textContent = serviceById(id).name;
      var select = document.createElement("select");
      select.id = "staff-" + id;
      select.dataset.service = id;
      select.add(new Option(T.any, ""));
      page.staff.forEach(function (member) {
        if (member.services.indexOf(id) !== -1) { select.add(new Option(member.name, member.id)); }
      });
      select.value = chosen.staff[id] || "";
      field.appendChild(label);
      field.appendChild(select);
      box.appendChild(field);
    });
  }

  $("staff-form").addEventListener("submit", function (event) {
    event.preventDefault();
    Array.prototype.forEach.call(this.querySelectorAll("select"), function (select) {
      chosen.staff[+select.dataset.service] = select.value ? +select.value : null;
    });
    show("step-day");
    loadMonth();
  });

  // --- 3. The month ------------------------------------------------------------------
  function shiftMonth(month, by) {
    var y = +month.slice(0, 4), m = +month.slice(5, 7) - 1 + by;
    var d = new Date(Date.UTC(y, m, 1));
    return d.toISOString().slice(0, 7);
  }
  var lastDay = new Date(Date.parse(page.today + "T00:00:00Z") + page.window_days * 864e5).toISOString().slice(0, 10);

  $("month-prev").addEventListener("click", function () { chosen.month = shiftMonth(chosen.month, -1); loadMonth(); });
  $("month-next").addEventListener("click", function () { chosen.month = shiftMonth(chosen.month, 1); loadMonth(); });

  function loadMonth() {
    var days = $("days");
    $("month-name").textContent = new Intl.DateTimeFormat(page.locale, { month: "long", year: "numeric", timeZone: "UTC" })
      .format(new Date(chosen.month + "-15T12:00:00Z"));
    $("month-prev").disabled = chosen.month <= page.today.slice(0, 7);
    $("month-next").disabled = chosen.month >= lastDay.slice(0, 7);
    days.textContent = T.loading;
    request("GET", api + "calendar/?" + serviceQuery() + "&month=" + chosen.month).then(function (answer) {
      if (answer.status !== 200) { days.textContent = T.unreachable; return; }
      days.textContent = "";
      answer.body.days.forEach(function (day) {
        if (day.date < page.today || day.date > lastDay) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "day" + (day.free_starts ? "" : " full");
        button.dataset.date = day.date;
        var label = dayName(day.date);
        var free = day.free_starts ? fill(T.free_times, { n: day.free_starts }) : T.closed;
        button.setAttribute("aria-label", label + ", " + free);
        button.innerHTML = "";
        var number = document.createElement("span");
        number.textContent = +day.date.slice(8);
        var weekday = document.createElement("small");
        weekday.textContent = new Intl.DateTimeFormat(page.locale, { weekday: "short", timeZone: "UTC" })
          .format(new Date(day.date + "T12:00:00Z"));
        button.appendChild(weekday);
        button.appendChild(number);
        button.addEventListener("click", function () { pickDay(day.date); });
        days.appendChild(button);
      });
    }, function () { days.textContent = T.unreachable; });
  }

  // --- 4. Times -------------------------------------------------------------------------
  function pickDay(date) {
    chosen.day = date;
    $("day-name").textContent = dayName(date);
    show("step-time");
    loadTimes();
  }

  function loadTimes(wanted) {
    var box = $("times");
    var waitlist = $("waitlist-form");
    waitlist.hidden = true;
    box.textContent = T.loading;
    return request("GET", api + "availability/?" + serviceQuery() + "&date=" + chosen.day).then(function (answer) {
      if (answer.status !== 200) { box.textContent = T.unreachable; return []; }
      var starts = [];
      answer.body.slots.forEach(function (slot) {
        if (starts.indexOf(slot.start) === -1) { starts.push(slot.start); }
      });
      box.textContent = "";
      var shown = starts;
      if (wanted) {
        // The nearest free times to the one just taken, in the day's order.
        shown = starts.slice().sort(function (a, b) {
          return Math.abs(Date.parse(a) - wanted) - Math.abs(Date.parse(b) - wanted);
        }).slice(0, 4).sort();
      }
      if (!starts.length) {
        var none = document.createElement("p");
        none.textContent = isVisit() ? T.visit_waitlist : T.full_day;
        box.appendChild(none);
        waitlist.hidden = isVisit();
        waitlistKey = uuid();
      }
      shown.forEach(function (start) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "time";
        button.textContent = clock(start);
        button.addEventListener("click", function () { pickTime(start); });
        box.appendChild(button);
      });
      return starts;
    }, function () { box.textContent = T.unreachable; return []; });
  }

  function pickTime(start) {
    chosen.start = start;
    key = uuid();
    var names = chosen.services.map(function (id) {
      var staffId = chosen.staff[id];
      var member = page.staff.filter(function (m) { return m.id === staffId; })[0];
      return serviceById(id).name + (member ? " " + fill(T["with"], { name: member.name }) : "");
    });
    $("summary").textContent = names.join(", ") + " · " + dayName(chosen.day) + ", " + clock(start);
    say("");
    show("step-details");
  }

  $("waitlist-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = chosen.services[0];
    var body = {
      service: id, date_from: chosen.day, date_to: chosen.day,
      customer_name: $("wl-name").value, customer_phone: $("wl-phone").value,
    };
    if (chosen.staff[id]) { body.staff = chosen.staff[id]; }
    request("POST", api + "waitlist/", body, { "Idempotency-Key": waitlistKey }).then(function (answer) {
      if (answer.status === 201) {
        $("waitlist-form").hidden = true;
        say(fill(T.waitlist_joined, { day: dayName(chosen.day) }), "success");
      } else {
        say(answer.status === 429 ? T.rate_limited : T.waitlist_refused, "error");
      }
    }, function () { say(T.unreachable, "error"); });
  });

  // --- 5. Details and booking -------------------------------------------------------------
  function bookingBody() {
    var body = {
      salon: page.slug,
      start: chosen.start,
      customer_name: $("name").value,
      customer_phone: $("phone").value,
      customer_email: $("email").value,
      website: $("website").value,
    };
    if (isVisit()) {
      body.services = chosen.services.map(function (id) { return { service: id, staff: chosen.staff[id] || null }; });
    } else {
      body.service = chosen.services[0];
      body.staff = chosen.staff[body.service] || null;
    }
    return body;
  }

  function refusal(answer) {
    var error = answer.body && answer.body.error;
    if (answer.status === 429) { return T.rate_limited; }
    if (!error) { return T.refused; }
    if (error.code === "too_many_bookings") { return T.too_many; }
    if (error.code === "already_booked") { return T.already_booked; }
    var words = [];
    var details = error.details || {};
    Object.keys(details).forEach(function (name) {
      if (Array.isArray(details[name])) { words.push(details[name].join(" ")); }
    });
    return words.length ? T.refused + " " + words.join(" ") : T.refused;
  }

  $("details-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    $("book").disabled = true;
    say(T.loading);
    request("POST", "/api/bookings/", bookingBody(), { "Idempotency-Key": key }).then(function (answer) {
      busy = false;
      $("book").disabled = false;
      if (answer.status === 201) { return booked(answer.body); }
      if (answer.status === 409 && answer.body.error && answer.body.error.code === "slot_unavailable") {
        var wanted = Date.parse(chosen.start);
        show("step-time");
        return loadTimes(wanted).then(function (starts) {
          say(starts.length ? T.taken : T.taken_none, "error");
        });
      }
      say(refusal(answer), "error");
    }, function () {
      busy = false;
      $("book").disabled = false;
      say(T.unreachable, "error");
    });
  });

  function booked(booking) {
    say("");
    $("done-title").textContent = booking.status === "pending" ? T.booked_pending : T.booked;
    var parts = booking.parts || [{ service: booking.service, staff: booking.staff, start: booking.start }];
    $("done-when").textContent = parts.map(function (part) {
      var service = part.service && part.service.name ? part.service.name : (serviceById(part.service) || {}).name;
      var staff = part.staff && part.staff.name ? part.staff.name : "";
      return service + (staff ? " " + fill(T["with"], { name: staff }) : "") + " · " + dayName(chosen.day) + ", " + clock(part.start);
    }).join("; ");
    $("done-whatsapp").textContent = fill(T.whatsapp_sent, { phone: booking.customer_phone });
    var manage = "/manage/" + encodeURIComponent(booking.reference) + "/";
    $("done-manage").href = manage + "#token=" + encodeURIComponent(booking.manage_token);
    var ics = $("done-ics");
    ics.action = manage + "booking.ics";
    ics.querySelector("input[name=token]").value = booking.manage_token;
    show("step-done");
  }

  // --- Back buttons --------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (button) {
    button.addEventListener("click", function () { say(""); show(button.dataset.back); });
  });
})();
