// Credentials page: the issue form (generated from a CPT's JSON schema), the holder wallet, and
// answering a verifier's presentation request (decode its QR, prove with a wallet credential,
// post the presentation to the request's response URL on this server).
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
    fillCredentialChoice();
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

  // ---- answer a presentation request -----------------------------------------------------

  const answerForm = document.getElementById("answer-form");
  const answerSend = document.getElementById("answer-send");
  const answerVerdict = document.getElementById("answer-verdict");
  let request = null; // the decoded request: { challenge, domain, claims, predicates, response_url, expires }

  function verdict(text, verified) {
    answerVerdict.hidden = false;
    answerVerdict.textContent = text;
    answerVerdict.className = verified === true ? "ok" : (verified === false ? "bad" : "");
    if (verified === undefined) delete answerVerdict.dataset.verified;
    else answerVerdict.dataset.verified = String(verified);
  }

  function fillCredentialChoice() {
    const select = document.getElementById("answer-credential");
    if (!select) return;
    const previous = select.value;
    select.replaceChildren();
    walletItems().forEach((vc, index) => {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = summaryOf(vc);
      select.append(option);
    });
    if (previous !== "" && Number(previous) < select.options.length) select.value = previous;
    fillHolder();
  }

  // The holder DID defaults to the chosen credential's subject.
  function fillHolder() {
    const holder = answerSend.elements.namedItem("holder");
    const vc = walletItems()[Number(document.getElementById("answer-credential").value)];
    const subject = vc && vc.credentialSubject && vc.credentialSubject.id;
    if (holder.value.trim() === "" && typeof subject === "string") holder.value = subject;
  }

  document.getElementById("answer-credential").addEventListener("change", fillHolder);

  // A request must be answered on this server (the page's CSP allows no other origin anyway).
  function checkRequest(payload) {
    if (!payload || payload.t !== "req" || !payload.c || typeof payload.c !== "object") {
      return "This QR code is not a presentation request (" + String(payload && payload.t) + ").";
    }
    const c = payload.c;
    for (const name of ["challenge", "domain", "response_url"]) {
      if (typeof c[name] !== "string" || c[name] === "") return "The request has no " + name + ".";
    }
    let url;
    try { url = new URL(c.response_url); } catch (_) { return "The request's response URL is not a URL."; }
    if (url.origin !== location.origin || !url.pathname.startsWith("/presentation-responses/")) {
      return "The request answers elsewhere (" + url.origin + "); this wallet answers requests of this server only.";
    }
    if (typeof c.expires === "number" && c.expires * 1000 < Date.now()) return "The request has expired.";
    return null;
  }

  async function decodeRequest() {
    const file = document.getElementById("answer-file").files[0];
    const text = answerForm.elements.namedItem("request").value.trim();
    if (file) {
      const headers = { "Content-Type": file.type || "application/octet-stream" };
      const token = sessionStorage.getItem("weft.token");
      if (token) headers["Authorization"] = "Bearer " + token;
      const response = await fetch("/api/v1/qr/decode", { method: "POST", headers, body: file });
      const body = await response.text();
      let json = null;
      try { json = JSON.parse(body); } catch (_) { /* not JSON */ }
      const r = { status: response.status, ok: response.ok, text: body, json };
      if (!r.ok || !json) throw new Error("Could not read the QR code: " + problem(r));
      return json.payload;
    }
    if (text.startsWith("WEFT1:")) {
      const r = await call("POST", "/api/v1/qr/decode-text", { envelope: text });
      if (!r.ok || !r.json) throw new Error("Not a valid envelope: " + problem(r));
      return r.json.payload;
    }
    if (text === "") throw new Error("Upload the request's QR image or paste its text.");
    let value;
    try { value = JSON.parse(text); } catch (_) { throw new Error("Paste a WEFT1: envelope or the request JSON."); }
    return value && value.t ? value : { t: "req", c: value };
  }

  answerForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    answerSend.hidden = true;
    answerVerdict.hidden = true;
    request = null;
    let payload;
    try {
      payload = await decodeRequest();
    } catch (err) {
      show(err.message);
      return;
    }
    const bad = checkRequest(payload);
    if (bad) { show(bad); return; }
    request = payload.c;
    const claims = Array.isArray(request.claims) && request.claims.length ? request.claims.join(", ") : "no particular claims";
    const predicates = Array.isArray(request.predicates) ? request.predicates : [];
    document.getElementById("answer-summary").textContent =
      "Verifier " + request.domain + " asks for " + claims +
      (predicates.length ? " and proofs about " + predicates.map((p) => p.claim).join(", ") : "") +
      " (challenge " + request.challenge + ").";
    fillCredentialChoice();
    answerSend.hidden = false;
    show(walletItems().length ? "Request read; choose a credential." : "Request read, but the wallet is empty.");
  });

  answerSend.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!request) { show("Read a request first."); return; }
    if (!sessionStorage.getItem("weft.token")) { show("Sign in first (with the holder's token)."); return; }
    const f = answerSend.elements;
    const vc = walletItems()[Number(f.namedItem("credential").value)];
    if (!vc) { show("Choose a credential."); return; }
    const holder = f.namedItem("holder").value.trim();
    const options = { challenge: request.challenge, domain: request.domain };
    const keyId = f.namedItem("key_id").value.trim();
    if (keyId) options.key_id = keyId;
    const asked = Array.isArray(request.predicates) ? request.predicates : [];
    if (asked.length) {
      const openings = f.namedItem("openings").value.trim();
      if (!openings) { show("The request asks for predicate proofs: paste the credential's openings."); return; }
      options.predicates = asked.map((p) => ({ credential: 0, claim: p.claim, predicate: p.predicate, openings }));
    }
    show("Proving…");
    const proved = await call("POST", "/api/v1/presentations/prove", {
      presentation: { holder, verifiableCredential: [vc] },
      options,
    });
    if (!proved.ok || !proved.json || !proved.json.verifiablePresentation) {
      const hint = proved.status === 404 ? " (does this server offer POST /api/v1/presentations/prove?)" : "";
      show("The presentation was not signed: " + problem(proved) + hint);
      return;
    }
    show("Sending the presentation to " + request.domain + "…");
    const path = new URL(request.response_url).pathname;
    const answered = await call("POST", path, {
      verifiablePresentation: proved.json.verifiablePresentation,
      domain: request.domain,
    });
    const verified = answered.json && answered.json.verified === true;
    const failed = answered.json && answered.json.report && Array.isArray(answered.json.report.checks)
      ? answered.json.report.checks.filter((c) => !c.passed).map((c) => c.name + ": " + (c.reason || "failed"))
      : [];
    verdict(verified ? "Verified by the verifier" : "Not verified" + (failed.length ? " — " + failed.join("; ") : ""), verified);
    show(answered.status + "\n" + (answered.json ? JSON.stringify(answered.json, null, 2) : answered.text));
  });

  renderWallet();
})();
