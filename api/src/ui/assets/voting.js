// Voting page: refreshes the live turnout every 5 seconds. Writes text only (no markup).
(function () {
  "use strict";
  var el = document.getElementById("turnout");
  if (!el) { return; }
  var poll = el.getAttribute("data-poll");
  if (!/^[0-9a-f]{64}$/.test(poll || "")) { return; }
  function refresh() {
    fetch("/api/v1/polls/" + poll, { headers: { "accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (p && typeof p.ballots === "number") { el.textContent = String(p.ballots); }
      })
      .catch(function () { /* keep the last value */ });
  }
  setInterval(refresh, 5000);
})();
