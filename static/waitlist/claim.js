// The claim page of a waitlist offer. The token comes in the link's fragment
// (#token=...), which browsers never send to a server; it is kept for this tab
// only and sent to the API as X-Waitlist-Token.
(function () {
  "use strict";
  var root = document.getElementById("claim");
  var reference = root.dataset.reference;
  var token = window.SalonBook.tokenFromLink("salonbook-waitlist-" + reference);
  var status = document.getElementById("claim-status");
  var details = document.getElementById("claim-details");
  var form = document.getElementById("claim-book");
  var base = "/api/waitlist/" + encodeURIComponent(reference) + "/";

  function say(text, kind) { window.SalonBook.say(status, text, kind); }

  // The salon's wall-clock time as the API wrote it, whatever the phone's zone.
  function when(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    var wall = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
    return wall.toLocaleString(document.documentElement.lang || undefined, {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "UTC",
    });
  }

  function call(method, path) {
    return fetch(path, {
      method: method,
      headers: { "X-Waitlist-Token": token || "", "Accept": "application/json" },
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  function show(entry) {
    details.querySelector('[data-field="service"]').textContent = entry.service;
    if (entry.status === "booked") {
      say("This time is booked for you. See you then!", "success");
      form.hidden = true;
      return;
    }
    if (!entry.offer) {
      say("No time is held for you right now. We will message you when one comes free.", "info");
      form.hidden = true;
      return;
    }
    details.querySelector('[data-field="staff"]').textContent = entry.offer.staff;
    details.querySelector('[data-field="when"]').textContent = when(entry.offer.start);
    details.querySelector('[data-field="expires"]').textContent = new Date(entry.offer.expires_at).toLocaleTimeString(
      undefined, { hour: "2-digit", minute: "2-digit" });
    details.hidden = false;
    form.hidden = false;
    status.innerHTML = "";
  }

  if (!token) {
    say("This link is missing its secret part. Open the link from your message again.", "error");
    return;
  }

  call("GET", base).then(function (result) {
    if (!result.ok) { say("We could not find this waitlist entry.", "error"); return; }
    show(result.body);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    call("POST", base + "claim/").then(function (result) {
      form.querySelector("button").disabled = false;
      if (result.ok) {
        form.hidden = true;
        say("Booked: " + result.body.service.name + " on " + when(result.body.start) + ". Reference " +
          result.body.reference + ".", "success");
      } else {
        say(result.body.message || "That time could not be booked.", "error");
      }
    });
  });
})();
