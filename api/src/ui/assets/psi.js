// PSI pages: forms sent to the REST API with the signed-in token, a session view polled from
// GET /api/v1/psi/sessions/{id}, a Venn picture drawn as inline SVG with DOM calls, and the
// intersection downloaded as a file. Nothing from the network becomes markup (textContent only).
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem("weft.token");

  function show(text) {
    const out = $("api-result");
    if (out) { out.hidden = false; out.textContent = text; }
  }

  async function api(method, path, body) {
    const headers = { "Authorization": "Bearer " + token(), "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      throw new Error((json && (json.detail || json.title)) || ("HTTP " + response.status));
    }
    return json === null ? text : json;
  }

  function field(form, name) {
    const input = form.elements.namedItem(name);
    return input ? input.value.trim() : "";
  }

  async function inputSpec(form) {
    const file = form.elements.namedItem("file").files[0];
    if (!file) { throw new Error("choose a CSV file"); }
    return { csv: await file.text(), column: field(form, "column"), normalise: field(form, "normalise") };
  }

  // This organisation's DID (public: GET /api/v1/organisation), which the partner needs.
  const ownDid = $("own-did");
  if (ownDid) {
    fetch("/api/v1/organisation", { headers: { "Accept": "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((org) => { ownDid.textContent = org ? org.did : "unknown"; })
      .catch(() => { ownDid.textContent = "unknown"; });
  }

  for (const form of document.querySelectorAll("form.psi-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!token()) { show("Sign in first (with a partner or admin token)."); return; }
      show("Reading the file and submitting…");
      try {
        const input = await inputSpec(form);
        if (form.dataset.kind === "offer") {
          const r = await api("POST", "/api/v1/psi/offers", {
            key_id: field(form, "key_id"), peer_did: field(form, "peer_did"),
            mode: field(form, "mode"), input,
          });
          show("Offer " + r.offer_id + " made.\nGive the initiator your DID " + r.did +
               " and your set size " + r.size + ".");
        } else {
          const body = {
            key_id: field(form, "key_id"),
            peer_did: field(form, "peer_did"), peer_size: Number(field(form, "peer_size")),
            mode: field(form, "mode"), input,
          };
          if (field(form, "did") !== "") { body.did = field(form, "did"); }
          if (field(form, "peer_url") !== "") { body.peer_url = field(form, "peer_url"); }
          const r = await api("POST", "/api/v1/psi/sessions", body);
          window.location.assign("/psi/sessions/" + r.id);
        }
      } catch (err) {
        show("Failed: " + err.message);
      }
    });
  }

  const open = $("open-session");
  if (open) {
    open.addEventListener("submit", (event) => {
      event.preventDefault();
      window.location.assign("/psi/sessions/" + field(open, "id").toLowerCase());
    });
  }

  // A Venn picture of two sets of sizes a and b sharing k: circle areas proportional to the
  // sizes, centres placed so that the lens area matches k (bisection on the distance).
  function lens(r1, r2, d) {
    if (d >= r1 + r2) { return 0; }
    if (d <= Math.abs(r1 - r2)) { return Math.PI * Math.min(r1, r2) ** 2; }
    const a1 = Math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1));
    const a2 = Math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2));
    return r1 * r1 * (a1 - Math.sin(2 * a1) / 2) + r2 * r2 * (a2 - Math.sin(2 * a2) / 2);
  }

  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) { e.setAttribute(k, String(v)); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function venn(box, a, b, k) {
    box.replaceChildren();
    if (!(a > 0 || b > 0)) { return; }
    const W = 420, H = 220, R = 90;
    const scale = R / Math.sqrt(Math.max(a, b));
    const r1 = Math.max(Math.sqrt(a) * scale, 4), r2 = Math.max(Math.sqrt(b) * scale, 4);
    const target = Math.PI * (scale * scale) * k; // area of k items
    let lo = Math.abs(r1 - r2), hi = r1 + r2;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (lens(r1, r2, mid) > target) { lo = mid; } else { hi = mid; }
    }
    const d = k > 0 ? (lo + hi) / 2 : r1 + r2 + 10;
    const cx1 = W / 2 - d / 2, cx2 = W / 2 + d / 2, cy = H / 2 - 10;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img" });
    svg.appendChild(el("title", {}, "You: " + a + ", partner: " + b + ", shared: " + k));
    svg.appendChild(el("circle", { cx: cx1, cy, r: r1, fill: "#3b82f6", "fill-opacity": 0.35, stroke: "#1d4ed8" }));
    svg.appendChild(el("circle", { cx: cx2, cy, r: r2, fill: "#f59e0b", "fill-opacity": 0.35, stroke: "#b45309" }));
    svg.appendChild(el("text", { x: cx1 - r1 / 2, y: cy, "text-anchor": "middle" }, String(a - k)));
    svg.appendChild(el("text", { x: cx2 + r2 / 2, y: cy, "text-anchor": "middle" }, String(b - k)));
    svg.appendChild(el("text", { x: (cx1 + cx2) / 2, y: cy, "text-anchor": "middle", "font-weight": "bold" }, String(k)));
    svg.appendChild(el("text", { x: cx1, y: H - 8, "text-anchor": "middle" }, "you (" + a + ")"));
    svg.appendChild(el("text", { x: cx2, y: H - 8, "text-anchor": "middle" }, "partner (" + b + ")"));
    box.appendChild(svg);
  }

  const view = $("session");
  if (!view) { return; }
  const id = view.dataset.session;
  let drawn = false;

  async function download() {
    try {
      const response = await fetch("/api/v1/psi/sessions/" + id + "/result.csv", {
        headers: { "Authorization": "Bearer " + token() },
      });
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = "intersection-" + id.slice(0, 12) + ".csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      show("Download failed: " + err.message);
    }
  }
  $("download").addEventListener("click", download);

  async function poll() {
    if (!token()) { return; }
    let s;
    try {
      s = await api("GET", "/api/v1/psi/sessions/" + id);
    } catch (err) {
      $("session-note").textContent = "This server has no session " + id + " for you: " + err.message;
      return;
    }
    $("session-note").textContent = s.role + " · peer " + s.peer_did + (s.error ? " · " + s.error : "");
    $("s-state").textContent = s.state;
    $("s-own").textContent = String(s.own_size);
    $("s-peer").textContent = s.peer_size === null ? "?" : String(s.peer_size);
    $("s-shared").textContent = s.intersection_size === null ? "not revealed to this side" : String(s.intersection_size);
    const p = s.progress;
    const bar = $("s-progress");
    bar.max = Math.max(p.total, 1);
    bar.value = p.blinded + p.exchanged + p.compared;
    $("s-counters").textContent =
      "blinded " + p.blinded + " · exchanged " + p.exchanged + " · compared " + p.compared;
    if (s.state === "running") {
      setTimeout(poll, 500);
      return;
    }
    if (s.intersection_size !== null && s.peer_size !== null && !drawn) {
      venn($("venn"), s.own_size, s.peer_size, s.intersection_size);
      drawn = true;
    }
    $("download").hidden = !(s.state === "completed" && s.mode !== "cardinality" &&
      (s.mode === "both-sides" || s.role === "initiator"));
  }
  poll();
})();
