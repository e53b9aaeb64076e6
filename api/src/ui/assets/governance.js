// Governance page: reads GET /api/v1/organisation and GET /api/v1/governance (public), renders
// them with DOM calls and textContent only, and sends proposals and votes to the REST API with
// the signed-in token.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem("weft.token");

  function show(text) {
    const out = $("api-result");
    if (out) { out.hidden = false; out.textContent = text; }
  }

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (token()) { headers["Authorization"] = "Bearer " + token(); }
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
    return json;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function describe(action) {
    switch (action.kind) {
      case "set_validators":
        return "set validators: " + action.validators.map((v) => v.name).join(", ");
      case "grant": return "grant " + action.permission + " to " + action.account;
      case "revoke": return "revoke " + action.permission + " from " + action.account;
      case "add_member": return "add committee member " + action.address;
      case "remove_member": return "remove committee member " + action.address;
      case "set_config": return "set " + action.key + " = " + action.value;
      default: return action.kind;
    }
  }

  async function render() {
    try {
      const org = await api("GET", "/api/v1/organisation");
      const dl = $("org");
      dl.replaceChildren();
      for (const [k, v] of [["DID", org.did], ["Chain", org.chain_id],
                            ["Endpoint on chain", org.endpoint || "(not yet registered)"]]) {
        const dt = document.createElement("dt"); dt.textContent = k;
        const dd = document.createElement("dd"); dd.textContent = v;
        dl.append(dt, dd);
      }
      const gov = await api("GET", "/api/v1/governance");
      const vt = $("validators");
      vt.replaceChildren();
      for (const v of gov.validators) {
        const row = document.createElement("tr");
        cell(row, v.name); cell(row, v.public_key); cell(row, String(v.power));
        vt.appendChild(row);
      }
      const cm = $("committee");
      cm.replaceChildren();
      for (const a of gov.committee) {
        const li = document.createElement("li"); li.textContent = a; cm.appendChild(li);
      }
      const pt = $("proposals");
      pt.replaceChildren();
      for (const p of gov.proposals) {
        const row = document.createElement("tr");
        row.dataset.id = String(p.id);
        cell(row, String(p.id));
        cell(row, describe(p.action));
        cell(row, p.status);
        cell(row, p.approvals.length + " yes / " + p.rejections.length + " no (needs " + p.needed + ")");
        const actions = cell(row, "");
        if (p.status === "open") {
          for (const [label, approve] of [["Approve", true], ["Reject", false]]) {
            const b = document.createElement("button");
            b.type = "button"; b.textContent = label; b.className = approve ? "approve" : "reject";
            b.addEventListener("click", () => vote(p.id, approve));
            actions.appendChild(b);
          }
        }
        pt.appendChild(row);
      }
    } catch (err) {
      show("Could not read governance: " + err.message);
    }
  }

  async function vote(id, approve) {
    if (!token()) { show("Sign in first (the operator tenant's admin token)."); return; }
    show("Voting…");
    try {
      const r = await api("POST", "/api/v1/governance/proposals/" + id + "/votes", { approve });
      show("Voted on proposal " + id + " (transaction " + r.tx.tx_hash + "); it is " + r.proposal.status + ".");
    } catch (err) {
      show("Failed: " + err.message);
    }
    render();
  }

  for (const form of document.querySelectorAll("form.gov-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!token()) { show("Sign in first (the operator tenant's admin token)."); return; }
      const body = { kind: form.dataset.kind };
      for (const el of form.elements) {
        if (el.name) { body[el.name] = el.value.trim(); }
      }
      show("Proposing…");
      try {
        const r = await api("POST", "/api/v1/governance/proposals", body);
        const p = r.proposal;
        show("Proposal " + (p ? p.id + " is " + p.status : "made") + " (transaction " + r.tx.tx_hash + ").");
      } catch (err) {
        show("Failed: " + err.message);
      }
      render();
    });
  }

  const configForm = $("config-form");
  if (configForm) {
    configForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = configForm.elements.namedItem("key").value.trim();
      try {
        const c = await api("GET", "/api/v1/governance/config/" + encodeURIComponent(key));
        $("config-value").textContent = c.value === null ? key + " is not set" : key + " = " + c.value;
      } catch (err) {
        $("config-value").textContent = "Could not read " + key + ": " + err.message;
      }
    });
  }

  render();
  setInterval(render, 5000);
})();
