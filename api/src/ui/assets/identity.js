// Identity forms: each form is sent to the REST API with the signed-in token. Answers are shown
// as text (textContent) only; nothing from the network becomes markup.
"use strict";

(function () {
  const out = document.getElementById("api-result");

  function show(text) {
    out.hidden = false;
    out.textContent = text;
  }

  function field(form, name) {
    const input = form.elements.namedItem(name);
    return input ? input.value.trim() : "";
  }

  function request(form) {
    const kind = form.dataset.kind;
    const did = encodeURIComponent(field(form, "did"));
    switch (kind) {
      case "create-did":
        return ["/api/v1/dids", { key_id: field(form, "key_id") }];
      case "rotate-key":
        return ["/api/v1/dids/" + did + "/update", {
          key_id: field(form, "key_id"),
          operations: [{ op: "rotate_key", fragment: field(form, "fragment"), new_key_id: field(form, "new_key_id") }],
        }];
      case "add-service":
        return ["/api/v1/dids/" + did + "/update", {
          key_id: field(form, "key_id"),
          operations: [{ op: "add_service", id: field(form, "id"), type: field(form, "type"), endpoint: field(form, "endpoint") }],
        }];
      case "deactivate":
        return ["/api/v1/dids/" + did + "/deactivate", { key_id: field(form, "key_id") }];
      case "apply":
        return ["/api/v1/issuers", { key_id: field(form, "key_id"), name: field(form, "name"), description: field(form, "description") }];
      case "recognise":
        return ["/api/v1/issuers/" + did + "/recognition", { key_id: field(form, "key_id"), recognised: true }];
      case "cpt": {
        const body = { key_id: field(form, "key_id"), schema: JSON.parse(field(form, "schema")) };
        const id = field(form, "id");
        if (id !== "") { body.id = Number(id); }
        return ["/api/v1/cpts", body];
      }
      default:
        throw new Error("unknown form " + kind);
    }
  }

  for (const form of document.querySelectorAll("form.api-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = sessionStorage.getItem("weft.token");
      if (!token) { show("Sign in first (with a token that may sign)."); return; }
      let path, body;
      try { [path, body] = request(form); } catch (err) { show("Invalid input: " + err.message); return; }
      show("Submitting…");
      try {
        const response = await fetch(path, {
          method: "POST",
          headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await response.text();
        let pretty = text;
        try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* keep text */ }
        show(response.status + "\n" + pretty);
      } catch (err) {
        show("Request failed: " + err.message);
      }
    });
  }
})();
