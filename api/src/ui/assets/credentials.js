// Credentials page: the issue form (generated from a CPT's JSON schema) and the holder wallet.
// Every answer is written with textContent; nothing from the network becomes markup.
"use strict";

(function () {
  const WALLET_KEY = "weft.wallet";
  const out = document.getElementById("api-result");
  const cptForm = document.getElementById("cpt-form");
  const issueForm = document.getElementById("issue-form");
  const claimsBox = document.getElementById("claims");
  const walletList = document.getElementById("wallet");
  const walletEmpty = document.getElementById("wallet-empty");
  let loaded = null; // { id, version, schema }

  function show(text) {
    out.hidden = false;
    out.textContent = text;
  }

  async function call(method, path, body, accept) {
    const headers = {};
    const token = sessionStorage.getItem("weft.token");
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (accept) headers["Accept"] = accept;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    return { status: response.status, ok: response.ok, text, json };
  }

  function problem(r) {
    if (r.json && (r.json.detail || r.json.title)) {
      return r.status + " " + (r.json.title || "") + (r.json.detail ? ": " + r.json.detail : "");
    }
    return r.status + " " + r.text;
  }

  // ---- wallet ---------------------------------------------------------------------------

  function walletItems() {
    try {
      const items = JSON.parse(localStorage.getItem(WALLET_KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (_) {
      return [];
    }
  }

  function saveWallet(items) {
    localStorage.setItem(WALLET_KEY, JSON.stringify(items));
    renderWallet();
  }

  function summaryOf(vc) {
    const types = Array.isArray(vc.type) ? vc.type.filter((t) => t !== "VerifiableCredential") : [];
    const issuer = typeof vc.issuer === "string" ? vc.issuer : (vc.issuer && vc.issuer.id) || "?";
    const subject = (vc.credentialSubject && vc.credentialSubject.id) || "(no subject id)";
    const until = vc.validUntil ? " · valid until " + vc.validUntil : "";
    return (types.join(", ") || "Credential") + " from " + issuer + " to " + subject + until;
  }

  function button(label, handler) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", handler);
    return b;
  }

  function renderWallet() {
    const items = walletItems();
    walletList.replaceChildren();
    walletEmpty.hidden = items.length > 0;
    items.forEach((vc, index) => {
      const li = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = summaryOf(vc);
      li.append(text, " ",
        button("QR code", () => showQr(vc)),
        button("Verify", () => verifyNow(vc)),
        button("Remove", () => {
          const next = walletItems();
          next.splice(index, 1);
          saveWallet(next);
        }));
      walletList.append(li);
    });
  }

  function addToWallet(vc) {
    const items = walletItems();
    items.push(vc);
    saveWallet(items);
  }

  function dataUrl(mime, bytes) {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return "data:" + mime + ";base64," + btoa(binary);
  }

  async function encodeQr(payload, format) {
    const headers = { "Content-Type": "application/json" };
    const token = sessionStorage.getItem("weft.token");
    if (token) headers["Authorization"] = "Bearer " + token;
    const response = await fetch("/api/v1/qr/encode?format=" + format, { method: "POST", headers, body: JSON.stringify(payload) });
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, ok: response.ok, bytes };
  }

  // A credential whose envelope is over 600 bytes goes by reference: a one-time, expiring URL
  // on this server, inside a small envelope.
  async function showQr(vc) {
    show("Encoding…");
    let payload = { t: "vc", c: vc };
    let svg = await encodeQr(payload, "svg");
    let note = "inline";
    if (svg.status === 422) {
      const ref = await call("POST", "/api/v1/qr/refs", { payload, ttl_secs: 600 });
      if (!ref.ok || !ref.json) { show("Could not create a reference: " + problem(ref)); return; }
      payload = { t: "ref", c: { url: ref.json.url, expires: ref.json.expires } };
      svg = await encodeQr(payload, "svg");
      note = "by one-time reference, valid until " + new Date(ref.json.expires * 1000).toISOString();
    }
    if (!svg.ok) { show("QR encoding failed: HTTP " + svg.status); return; }
    document.getElementById("qr-image").src = dataUrl("image/svg+xml", svg.bytes);
    document.getElementById("qr-figure").hidden = false;
    document.getElementById("qr-caption").textContent = summaryOf(vc) + " — " + note;
    const png = await encodeQr(payload, "png");
    if (png.ok) document.getElementById("qr-png").href = dataUrl("image/png", png.bytes);
    show("QR code ready (" + note + ").");
  }

  async function verifyNow(vc) {
    show("Verifying…");
    const r = await call("POST", "/credentials/verify", { verifiableCredential: vc, options: {} });
    show(r.status + "\n" + (r.json ? JSON.stringify(r.json, null, 2) : r.text));
  }

  document.getElementById("import-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = event.target.elements.namedItem("credential").value.trim();
    try {
      const vc = JSON.parse(text);
      if (typeof vc !== "object" || vc === null || !vc.credentialSubject) throw new Error("not a credential");
      addToWallet(vc);
      event.target.reset();
      show("Imported.");
    } catch (err) {
      show("Invalid credential: " + err.message);
    }
  });

  // ---- issue form ------------------------------------------------------------------------

  function inputFor(name, prop, required) {
    const label = document.createElement("label");
    label.append((prop.title || name) + (required ? " *" : "") + " ");
    let input;
    if (Array.isArray(prop.enum)) {
      input = document.createElement("select");
      for (const value of prop.enum) {
        const option = document.createElement("option");
        option.value = JSON.stringify(value);
        option.textContent = String(value);
        input.append(option);
      }
      input.dataset.kind = "enum";
    } else {
      input = document.createElement("input");
      switch (prop.type) {
        case "integer":
          input.type = "number"; input.step = "1"; input.dataset.kind = "integer"; break;
        case "number":
          input.type = "number"; input.step = "any"; input.dataset.kind = "number"; break;
        case "boolean":
          input.type = "checkbox"; input.dataset.kind = "boolean"; break;
        default:
          input.type = prop.format === "date" ? "date" : (prop.format === "email" ? "email" : "text");
          input.dataset.kind = "string";
      }
      if (prop.minimum !== undefined) input.min = prop.minimum;
      if (prop.maximum !== undefined) input.max = prop.maximum;
    }
    input.name = "claim:" + name;
    if (required && input.type !== "checkbox") input.required = true;
    if (prop.description) input.title = prop.description;
    label.append(input);
    return label;
  }

  function claimValue(input) {
    switch (input.dataset.kind) {
      case "enum": return JSON.parse(input.value);
      case "integer": return input.value === "" ? undefined : parseInt(input.value, 10);
      case "number": return input.value === "" ? undefined : Number(input.value);
      case "boolean": return input.checked;
      default: return input.value === "" ? undefined : input.value;
    }
  }

  cptForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = cptForm.elements.namedItem("cpt").value.trim();
    const version = cptForm.elements.namedItem("version").value.trim();
    const path = "/api/v1/cpts/" + encodeURIComponent(id) + (version ? "?version=" + encodeURIComponent(version) : "");
    const r = await call("GET", path);
    if (!r.ok || !r.json) { show("Could not load the CPT: " + problem(r)); return; }
    const schema = r.json.schema || {};
    loaded = { id: r.json.id, version: r.json.version, schema };
    claimsBox.replaceChildren();
    const legend = document.createElement("legend");
    legend.textContent = "Claims";
    claimsBox.append(legend);
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const properties = schema.properties || {};
    for (const [name, prop] of Object.entries(properties)) {
      if (name === "id") continue; // the holder DID field fills credentialSubject.id
      claimsBox.append(inputFor(name, prop || {}, required.has(name)));
    }
    document.getElementById("cpt-title").textContent =
      "CPT " + r.json.id + " version " + r.json.version + (schema.title ? " — " + schema.title : "") +
      " (digest " + r.json.digest + ")";
    issueForm.hidden = false;
    show("Schema loaded: " + Object.keys(properties).length + " claim(s).");
  });

  issueForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!loaded) { show("Load a CPT first."); return; }
    if (!sessionStorage.getItem("weft.token")) { show("Sign in first (with an issuer's token)."); return; }
    const f = issueForm.elements;
    const subject = {};
    const holder = f.namedItem("subject").value.trim();
    if (holder) subject.id = holder;
    for (const input of claimsBox.querySelectorAll("[name^='claim:']")) {
      const value = claimValue(input);
      if (value !== undefined) subject[input.name.slice(6)] = value;
    }
    const credential = {
      "@context": ["https://www.w3.org/ns/credentials/v2"],
      type: ["VerifiableCredential"],
      issuer: f.namedItem("issuer").value.trim(),
      credentialSchema: { id: "urn:weft:cpt:" + loaded.id + ":" + loaded.version, type: "JsonSchema" },
      credentialSubject: subject,
    };
    const until = f.namedItem("valid_until").value;
    if (until) credential.validUntil = new Date(until).toISOString().replace(/\.\d{3}Z$/, "Z");
    const options = {
      key_id: f.namedItem("key_id").value.trim(),
      status: f.namedItem("revocable").checked,
      evidence: f.namedItem("evidence").checked,
    };
    show("Issuing…");
    const r = await call("POST", "/credentials/issue", { credential, options });
    if (!r.ok || !r.json || !r.json.verifiableCredential) { show("Issuance refused: " + problem(r)); return; }
    addToWallet(r.json.verifiableCredential);
    show(r.status + " issued and added to the wallet\n" + JSON.stringify(r.json.verifiableCredential, null, 2));
  });

  renderWallet();
})();
