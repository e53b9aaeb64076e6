// Verify page: decode a QR code (uploaded image, camera frames or pasted text), verify what it
// carries against the chain, and show every check. Also shows a presentation-request QR and
// waits for the holder's wallet to answer. Answers are written with textContent only.
"use strict";

(function () {
  const out = document.getElementById("api-result");
  const resultBox = document.getElementById("verify-result");
  let cameraStream = null;
  let cameraTimer = null;
  let waitTimer = null;

  // A fresh nonce for SD-JWT key bindings (128 bits), and this site as the audience.
  (function initSdBinding() {
    const nonce = document.getElementById("sd-nonce");
    const aud = document.getElementById("sd-aud");
    if (nonce && !nonce.value) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      nonce.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    if (aud && !aud.value) aud.value = location.origin;
  })();

  function show(text) {
    out.hidden = false;
    out.textContent = text;
  }

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const token = sessionStorage.getItem("weft.token");
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  async function send(method, path, body, contentType, accept) {
    const h = headers(contentType ? { "Content-Type": contentType } : {});
    if (accept) h["Accept"] = accept;
    const response = await fetch(path, { method, headers: h, body });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    return { status: response.status, ok: response.ok, text, json };
  }

  const postJson = (path, body, accept) => send("POST", path, JSON.stringify(body), "application/json", accept);

  function problem(r) {
    if (r.json && (r.json.detail || r.json.title)) {
      return r.status + " " + (r.json.title || "") + (r.json.detail ? ": " + r.json.detail : "");
    }
    return r.status + " " + r.text;
  }

  // ---- the result table ----------------------------------------------------------------

  function render(report, subject) {
    const verified = report && report.verified === true;
    const verdict = document.getElementById("verdict");
    verdict.textContent = verified ? "Verified" : "Not verified";
    verdict.className = verified ? "ok" : "bad";
    verdict.dataset.verified = String(verified);
    document.getElementById("verify-subject").textContent = subject || "";
    const body = document.querySelector("#checks tbody");
    body.replaceChildren();
    const checks = (report && Array.isArray(report.checks)) ? report.checks : [];
    for (const check of checks) {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = check.name || check.check || "?";
      const passed = document.createElement("td");
      passed.textContent = check.passed ? "pass" : "fail";
      passed.className = check.passed ? "ok" : "bad";
      const reason = document.createElement("td");
      reason.textContent = check.reason || "";
      row.append(name, passed, reason);
      body.append(row);
    }
    resultBox.hidden = false;
  }

  function describe(vc) {
    if (!vc || typeof vc !== "object") return "";
    const issuer = typeof vc.issuer === "string" ? vc.issuer : (vc.issuer && vc.issuer.id) || "";
    const subject = vc.credentialSubject && vc.credentialSubject.id;
    return "Issuer " + issuer + (subject ? " · subject " + subject : "");
  }

  // ---- what a decoded QR carries ----------------------------------------------------------

  // A payload is `{t, c}`: `vc` a credential, `vp` a presentation, `sd` an SD-JWT
  // presentation, `ref` a one-time reference to one of those, `req` a verifier's request.
  async function verifyPayload(payload) {
    if (!payload || typeof payload !== "object") { show("The QR code carries nothing verifiable."); return; }
    let r;
    switch (payload.t) {
      case "vc":
        r = await postJson("/credentials/verify", { verifiableCredential: payload.c, options: {} });
        if (r.json && r.json.report) { render(r.json.report, describe(payload.c)); show(r.status + " verification report"); }
        else show("Verification failed: " + problem(r));
        return;
      case "sd": {
        // The verifier's side of the key binding: the nonce and audience the holder signed.
        const nonce = document.getElementById("sd-nonce").value.trim();
        const aud = document.getElementById("sd-aud").value.trim();
        if (!nonce || !aud) {
          show("An SD-JWT is checked against the nonce and audience its key binding must carry: fill in both.");
          return;
        }
        r = await postJson("/api/v1/sd-jwt/verify", { presentation: payload.c, nonce, aud });
        if (r.ok && r.json) {
          render({ verified: true, checks: [{ name: "sd_jwt", passed: true }] }, "Disclosed: " + JSON.stringify(r.json.claims || r.json));
          show(r.status + " SD-JWT verified");
        } else {
          render({ verified: false, checks: [{ name: "sd_jwt", passed: false, reason: (r.json && r.json.code) || String(r.status) }] }, "");
          show("SD-JWT refused: " + problem(r));
        }
        return;
      }
      case "vp":
        show("A presentation must answer this verifier's own challenge: use \"Ask a holder\".");
        return;
      case "ref": {
        // A by-reference payload: fetch it once (the token is single-use) and verify that.
        const url = payload.c && payload.c.url;
        if (typeof url !== "string" || !url.startsWith(location.origin + "/q/")) {
          show("The QR code points elsewhere (" + String(url) + "); only this server's references are followed.");
          return;
        }
        const fetched = await send("GET", url);
        if (!fetched.ok || !fetched.json) { show("The referenced credential is gone: " + problem(fetched)); return; }
        return verifyPayload(fetched.json);
      }
      case "req":
        show("This is a verifier's presentation request, not a credential: open it in a wallet.");
        return;
      default:
        show("Unknown QR payload: " + String(payload.t));
    }
  }

  async function decodeImage(blob, quiet) {
    const r = await send("POST", "/api/v1/qr/decode", blob, blob.type || "application/octet-stream");
    if (!r.ok) {
      if (!quiet) show("Could not read the QR code: " + problem(r));
      return false;
    }
    show("Decoded " + (r.json && r.json.envelope ? r.json.envelope.length + " characters" : "") + "; verifying…");
    await verifyPayload(r.json && r.json.payload);
    return true;
  }

  document.getElementById("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("qr-file").files[0];
    if (!file) { show("Choose an image first."); return; }
    show("Reading " + file.name + "…");
    await decodeImage(file, false);
  });

  document.getElementById("paste-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = event.target.elements.namedItem("text").value.trim();
    if (text.startsWith("WEFT1:")) {
      const r = await postJson("/api/v1/qr/decode-text", { envelope: text });
      if (!r.ok || !r.json) { show("Not a valid envelope: " + problem(r)); return; }
      await verifyPayload(r.json.payload);
      return;
    }
    let value;
    try { value = JSON.parse(text); } catch (_) {
      if (text.includes("~")) { await verifyPayload({ t: "sd", c: text }); return; }
      show("Paste a WEFT1: envelope, an SD-JWT or a JSON credential.");
      return;
    }
    await verifyPayload({ t: "vc", c: value });
  });

  // ---- camera ------------------------------------------------------------------------------

  function stopCamera() {
    if (cameraTimer) clearInterval(cameraTimer);
    cameraTimer = null;
    if (cameraStream) cameraStream.getTracks().forEach((t) => t.stop());
    cameraStream = null;
    document.getElementById("camera").hidden = true;
    document.getElementById("camera-stop").hidden = true;
  }

  document.getElementById("camera-stop").addEventListener("click", stopCamera);

  document.getElementById("camera-start").addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show("This browser offers no camera here (a camera needs HTTPS or localhost); upload an image instead.");
      return;
    }
    try {
      cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (err) {
      show("No camera: " + err.message);
      return;
    }
    const video = document.getElementById("camera");
    video.srcObject = cameraStream;
    video.hidden = false;
    document.getElementById("camera-stop").hidden = false;
    await video.play();
    show("Looking for a QR code…");
    const canvas = document.getElementById("frame");
    let busy = false;
    // Frames go to the server's decoder (the same one `weft qr decode` uses) a few times a second.
    cameraTimer = setInterval(async () => {
      if (busy || !video.videoWidth) return;
      busy = true;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      if (blob && (await decodeImage(blob, true))) stopCamera();
      busy = false;
    }, 600);
  });

  // ---- presentation request ------------------------------------------------------------------

  document.getElementById("request-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (waitTimer) clearInterval(waitTimer);
    const claims = event.target.elements.namedItem("claims").value
      .split(",").map((c) => c.trim()).filter((c) => c !== "");
    const challenge = await postJson("/challenges", {});
    if (!challenge.ok || !challenge.json || !challenge.json.challenge) { show("No challenge: " + problem(challenge)); return; }
    const id = challenge.json.challenge;
    const request = {
      challenge: id,
      domain: location.host,
      claims,
      predicates: [],
      response_url: location.origin + "/presentation-responses/" + encodeURIComponent(id),
      expires: Math.floor(Date.now() / 1000) + 600,
    };
    const svg = await postJson("/api/v1/qr/encode?format=svg", { t: "req", c: request }, "image/svg+xml");
    if (!svg.ok) { show("QR encoding failed: " + problem(svg)); return; }
    document.getElementById("request-image").src =
      "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(svg.text)));
    document.getElementById("request-figure").hidden = false;
    document.getElementById("request-caption").textContent = "Waiting for a wallet to answer challenge " + id + "…";
    waitTimer = setInterval(async () => {
      const r = await send("GET", "/presentation-responses/" + encodeURIComponent(id));
      if (r.status === 200 && r.json) {
        clearInterval(waitTimer);
        waitTimer = null;
        document.getElementById("request-caption").textContent = "The wallet answered.";
        render(r.json.report || r.json, r.json.holder ? "Holder " + r.json.holder : "");
      } else if (r.status !== 404) {
        clearInterval(waitTimer);
        waitTimer = null;
        show("Waiting stopped: " + problem(r));
      }
    }, 1000);
  });
})();
