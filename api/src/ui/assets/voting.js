// Voting page: refreshes the live turnout every 5 seconds and sends the booth form to this
// node's booth endpoint with the signed-in token. Writes text only (no markup).
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

  var form = document.getElementById("booth");
  var out = document.getElementById("booth-result");
  if (!form || !out) { return; }
  function show(text) { out.hidden = false; out.textContent = text; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = sessionStorage.getItem("weft.token");
    if (!token) { show("Sign in first with a token of your tenant (holder or admin role)."); return; }
    var choices = [];
    var inputs = form.querySelectorAll("input[name=choice]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked) { choices.push(Number(inputs[i].value)); }
    }
    var keyId = form.elements.namedItem("key_id").value.trim();
    show("Making the ballot and its proofs on your node…");
    fetch("/api/v1/polls/" + poll + "/booth", {
      method: "POST",
      headers: { "content-type": "application/json", "authorization": "Bearer " + token },
      body: JSON.stringify({ key_id: keyId, choices: choices })
    })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (res.ok) {
          show("Your ballot was counted (transaction " + res.body.tx_hash + ", block " + res.body.height + ").");
        } else {
          show("Refused: " + (res.body.detail || res.body.title || "error") +
            (res.body.reason ? " [" + res.body.reason + "]" : ""));
        }
      })
      .catch(function (err) { show("Could not reach the node: " + err.message); });
  });
})();
