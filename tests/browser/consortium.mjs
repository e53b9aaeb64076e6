// Two organisations' web UIs in headless Chromium, run by `api/tests/browser.rs` against two
// `weft node` processes of one network: governance (A proposes, B approves, each on its own
// node's Governance page) and a PSI session started from the UI (B offers on its PSI page, A
// starts on its own, choosing B by DID, and watches it complete).
//
// Environment: WEFT_A_URL, WEFT_A_TOKEN, WEFT_A_DID, WEFT_B_URL, WEFT_B_TOKEN, WEFT_B_DID,
// WEFT_B_ACCOUNT (B's operator account, the grantee), WEFT_CHROMIUM, WEFT_SCREENSHOTS.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const A = { base: env("WEFT_A_URL"), token: env("WEFT_A_TOKEN"), did: env("WEFT_A_DID") };
const B = { base: env("WEFT_B_URL"), token: env("WEFT_B_TOKEN"), did: env("WEFT_B_DID") };
const grantee = env("WEFT_B_ACCOUNT");
const shots = env("WEFT_SCREENSHOTS");
mkdirSync(shots, { recursive: true });

const step = (what) => console.log(`ok: ${what}`);
const fail = (what) => { throw new Error(what); };

const browser = await chromium.launch({
  executablePath: process.env.WEFT_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const problems = [];

async function signedInPage(org) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  await page.goto(org.base + "/signin");
  await page.fill("#token", org.token);
  await page.click("#signin-form button[type=submit]");
  await page.locator("#signin-result.ok").waitFor();
  return page;
}

const csv = (rows) => ({
  name: "customers.csv",
  mimeType: "text/csv",
  buffer: Buffer.from("email\n" + rows.join("\n") + "\n"),
});

try {
  const a = await signedInPage(A);
  const b = await signedInPage(B);

  // Governance: A's page shows its organisation and the validators; A proposes a grant.
  await a.goto(A.base + "/governance");
  await a.locator("#org dd", { hasText: A.did }).waitFor();
  await a.waitForFunction(() => document.querySelectorAll("#validators tr").length === 2);
  step("A's governance page shows A's DID and the two validators");
  const grant = a.locator("form.gov-form[data-kind=grant]");
  await grant.locator("input[name=account]").fill(grantee);
  await grant.locator("button[type=submit]").click();
  await a.locator("#api-result", { hasText: "is open" }).waitFor();
  const proposal = (await a.locator("#api-result").textContent()).match(/Proposal (\d+)/)[1];
  step(`A proposed granting authority-issuer to B: proposal ${proposal} is open`);

  // B approves on its own node's page; the proposal passes.
  await b.goto(B.base + "/governance");
  const row = b.locator(`#proposals tr[data-id="${proposal}"]`);
  await row.locator("button.approve").waitFor();
  await row.locator("button.approve").click();
  await b.locator("#api-result", { hasText: "passed" }).waitFor();
  await b.screenshot({ path: join(shots, "governance.png"), fullPage: true });
  step(`B approved on its own node: proposal ${proposal} passed`);
  await b.locator("#config-form input[name=key]").fill("greeting");
  await b.locator("#config-form button[type=submit]").click();
  await b.locator("#config-value", { hasText: "greeting is not set" }).waitFor();
  step("B's governance page reads the chain configuration (greeting is not set)");

  // PSI from the UI: B offers its set for A's DID; A starts the session choosing B by DID only.
  const bRows = ["a@x.org", "b@x.org", "c@x.org", "d@x.org"];
  const aRows = ["c@x.org", "d@x.org", "e@x.org"];
  await b.goto(B.base + "/psi");
  const offer = b.locator("form.psi-form[data-kind=offer]");
  await offer.locator("input[name=peer_did]").fill(A.did);
  await offer.locator("input[name=file]").setInputFiles(csv(bRows));
  await offer.locator("input[name=column]").fill("email");
  await offer.locator("button[type=submit]").click();
  await b.locator("#api-result", { hasText: "made" }).waitFor();
  step(`B offered ${bRows.length} items to A from its PSI page`);

  await a.goto(A.base + "/psi");
  const start = a.locator("form.psi-form[data-kind=start]");
  await start.locator("input[name=did]").fill(A.did);
  await start.locator("input[name=peer_did]").fill(B.did);
  await start.locator("input[name=peer_size]").fill(String(bRows.length));
  await start.locator("input[name=file]").setInputFiles(csv(aRows));
  await start.locator("input[name=column]").fill("email");
  await start.locator("button[type=submit]").click();
  await a.waitForURL(/\/psi\/sessions\/[0-9a-f]{64}$/);
  try {
    await a.locator("#s-state", { hasText: "completed" }).waitFor({ timeout: 60_000 });
  } catch (err) {
    await a.screenshot({ path: join(shots, "psi-session-failed.png"), fullPage: true });
    fail(`session did not complete: state ${await a.locator("#s-state").textContent()}, ` +
         `note ${await a.locator("#session-note").textContent()}`);
  }
  const shared = await a.locator("#s-shared").textContent();
  if (shared.trim() !== "2") fail(`intersection is ${shared}, expected 2`);
  await a.screenshot({ path: join(shots, "psi-session.png"), fullPage: true });
  step("A started the session from its PSI page by B's DID (no URL); it completed with 2 shared");

  if (problems.length) fail(problems.join("\n"));
  step("no script errors or CSP violations");
} finally {
  await browser.close();
}
