// What the customer's pages (manage a booking, claim a waitlist offer) share.
// The secret token comes in the link's fragment (#token=...), which browsers
// never send to a server or put in its logs: it is moved out of the address
// bar and kept for this tab only.
(function () {
  "use strict";
  window.SalonBook = window.SalonBook || {};

  // The token for ``storageKey``: taken from the fragment when the link
  // brings one, else the one this tab kept.
  window.SalonBook.tokenFromLink = function (storageKey) {
    var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (match) {
      sessionStorage.setItem(storageKey, decodeURIComponent(match[1]));
      history.replaceState(null, "", window.location.pathname);
    }
    return sessionStorage.getItem(storageKey);
  };

  // One message in ``status`` (a role="status" region), replacing the last.
  window.SalonBook.say = function (status, text, kind) {
    status.innerHTML = "";
    var p = document.createElement("p");
    p.className = "message message-" + (kind || "info");
    p.textContent = text;
    status.appendChild(p);
  };
})();
