// Weft web UI: sign-in with a token and the live block list. No framework, no inline script
// (the pages' Content Security Policy forbids it); data from the network becomes text nodes only.
"use strict";

const TOKEN_KEY = "weft.token";
const WHO_KEY = "weft.who";

function $(id) { return document.getElementById(id); }

function showWho() {
  const who = JSON.parse(sessionStorage.getItem(WHO_KEY) || "null");
  const link = $("signin-link"), box = $("signed-in");
  if (!link || !box) return;
  link.hidden = !!who;
  box.hidden = !who;
  if (who) $("who-name").textContent = who.tenant + " · " + (who.roles || []).join(", ");
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WHO_KEY);
  showWho();
  setUpNoop();
}

// Asks the server who a token belongs to. Resolves to {ok, who} or {ok: false, message}.
async function whoami(token) {
  let response;
  try {
    response = await fetch("/api/v1/auth/whoami", {
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
    });
  } catch (e) {
    return { ok: false, message: "The server could not be reached." };
  }
  if (response.ok) return { ok: true, who: await response.json() };
  let message = "Sign-in failed (HTTP " + response.status + ").";
  try {
    const problem = await response.json();
    if (problem.detail || problem.title) message = problem.detail || problem.title;
  } catch (e) { /* not problem+json */ }
  return { ok: false, status: response.status, message };
}

function setUpSignIn() {
  const form = $("signin-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("token"), result = $("signin-result");
    const token = input.value.trim();
    result.className = "";
    result.textContent = "Checking…";
    const answer = await whoami(token);
    if (answer.ok) {
      sessionStorage.setItem(TOKEN_KEY, token);
      sessionStorage.setItem(WHO_KEY, JSON.stringify(answer.who));
      input.value = "";
      result.className = "ok";
      result.textContent = "Signed in as " + answer.who.tenant + " (" + (answer.who.roles || []).join(", ") + ").";
      showWho();
    } else {
      result.className = "error";
      result.textContent = answer.message;
    }
  });
}

// A stored token that the server no longer accepts (revoked, expired) signs the tab out.
async function recheckToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  const answer = await whoami(token);
  if (!answer.ok && (answer.status === 401 || answer.status === 403)) signOut();
}

function isoTime(ms) {
  const d = new Date(ms);
  return isNaN(d) ? String(ms) : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function shortCode(full) {
  const code = document.createElement("code");
  code.title = full;
  code.textContent = full.length > 14 ? full.slice(0, 10) + "…" + full.slice(-4) : full;
  return code;
}

function blockRow(b) {
  const tr = document.createElement("tr");
  tr.dataset.height = String(b.height);
  const cells = [];
  for (let i = 0; i < 5; i++) { cells.push(document.createElement("td")); tr.appendChild(cells[i]); }
  const a = document.createElement("a");
  a.href = "/chain/blocks/" + encodeURIComponent(b.height);
  a.textContent = String(b.height);
  cells[0].appendChild(a);
  cells[1].appendChild(shortCode(String(b.hash)));
  cells[2].textContent = String(b.transactionCount);
  cells[3].textContent = isoTime(b.timestamp_ms);
  cells[4].appendChild(shortCode(String(b.proposer)));
  tr.classList.add("new");
  return tr;
}

// Keeps the latest-blocks table current over the node's WebSocket (`newBlocks`).
function setUpLiveBlocks() {
  const body = document.querySelector("tbody[data-live=blocks]");
  if (!body) return;
  const keep = Number(body.dataset.keep || 20);
  const state = $("live-state");
  let delay = 500;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws");
    ws.onopen = () => {
      delay = 500;
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params: { topic: "newBlocks" } }));
      if (state) { state.textContent = "live"; state.className = "live on"; }
    };
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.method !== "subscription" || !msg.params || !msg.params.result) return;
      const b = msg.params.result;
      if (body.querySelector('tr[data-height="' + Number(b.height) + '"]')) return;
      body.insertBefore(blockRow(b), body.firstChild);
      while (body.children.length > keep) body.removeChild(body.lastChild);
      const h = $("head-height"), t = $("head-time");
      if (h) h.textContent = String(b.height);
      if (t) t.textContent = isoTime(b.timestamp_ms);
    };
    ws.onclose = () => {
      if (state) { state.textContent = "reconnecting…"; state.className = "live off"; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
}

// The explorer's "send a no-op" action: a governance no-op signed by the tenant's first
// custodied key (POST /api/v1/transactions), so a signed-in user can watch a block arrive.
const SIGNING_ROLES = ["admin", "issuer", "organiser"];

function setUpNoop() {
  const box = $("send-noop"), button = $("noop-button"), result = $("noop-result");
  if (!box) return;
  const who = JSON.parse(sessionStorage.getItem(WHO_KEY) || "null");
  box.hidden = !(who && (who.roles || []).some((r) => SIGNING_ROLES.includes(r)));
  if (box.hidden || button.dataset.wired) return;
  button.dataset.wired = "1";
  button.addEventListener("click", async () => {
    const auth = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY) };
    button.disabled = true;
    result.className = "";
    result.textContent = "Signing and waiting for the block…";
    try {
      const keys = await fetch("/api/v1/keys", { headers: auth });
      const list = keys.ok ? await keys.json() : [];
      if (!list.length) throw new Error("your organisation has no custodied key");
      const response = await fetch("/api/v1/transactions", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({
          key_id: list[0].key_id,
          call: { module: "governance", method: "noop", args: "0x00" },
        }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || body.title || "HTTP " + response.status);
      result.className = "ok";
      result.textContent = "";
      const link = document.createElement("a");
      link.href = "/chain/tx/" + encodeURIComponent(body.tx_hash);
      link.textContent = "transaction " + String(body.tx_hash).slice(0, 10) + "…";
      result.append("Committed in block " + body.height + ": ", link);
    } catch (e) {
      result.className = "error";
      result.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const out = $("signout");
  if (out) out.addEventListener("click", signOut);
  showWho();
  setUpNoop();
  setUpSignIn();
  setUpLiveBlocks();
  recheckToken();
});
