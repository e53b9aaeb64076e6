// Browser test of the wallet answering a request: the verifier's Verify page shows a request QR;
// the holder's Credentials page reads an image of it, presents a wallet credential
// (POST /api/v1/presentations/prove with the holder's custodied key) and posts the answer; the
// wallet shows the verifier's verdict and the Verify page shows the live result.
//
// Environment: WEFT_URL, WEFT_VERIFIER_TOKEN (any token), WEFT_HOLDER_TOKEN (the holder tenant's
// token), WEFT_HOLDER_KEY (the holder's custodied key id), WEFT_CREDENTIAL (a file holding the
// credential JSON), WEFT_CHROMIUM, WEFT_SCREENSHOTS. Every step prints what it checked; any
// failure exits non-zero.

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("WEFT_URL");
const verifierToken = env("WEFT_VERIFIER_TOKEN");
const holderToken = env("WEFT_HOLDER_TOKEN");
const holderKey = env("WEFT_HOLDER_KEY");
const credential = readFileSync(env("WEFT_CREDENTIAL"), "utf8");
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
try {
  // One context: the wallet's localStorage is per origin; each tab signs in on its own
  // (the token is kept in sessionStorage).
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const open = async (token) => {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    await page.goto(base + "/signin");
    await page.fill("#token", token);
    await page.click("#signin-form button[type=submit]");
    await page.locator("#signin-result.ok").waitFor();
    return page;
  };
  const verifier = await open(verifierToken);
  const wallet = await open(holderToken);
  step("verifier and holder signed in");

  // The verifier shows a request QR; the wallet gets a picture of it.
  await verifier.goto(base + "/verify");
  await verifier.fill("#request-form input[name=claims]", "degree");
  await verifier.click("#request-form button[type=submit]");
  await verifier.locator("#request-figure").waitFor({ state: "visible" });
  // Shown large enough for the decoder to read from a screenshot.
  await verifier.locator("#request-image").evaluate((img) => { img.style.width = "480px"; img.style.height = "auto"; });
  const requestPng = join(shots, "request-qr.png");
  await verifier.locator("#request-image").screenshot({ path: requestPng });
  step("the verifier shows a request QR");

  // The holder imports the credential and answers.
  await wallet.goto(base + "/credentials");
  await wallet.fill("#import-form textarea[name=credential]", credential);
  await wallet.click("#import-form button[type=submit]");
  await wallet.locator("#wallet li").first().waitFor();
  await wallet.setInputFiles("#answer-file", requestPng);
  await wallet.click("#answer-form button[type=submit]");
  await wallet.locator("#answer-send").waitFor({ state: "visible" });
  await wallet.locator("#answer-summary", { hasText: "asks for" }).waitFor();
  const summary = await wallet.locator("#answer-summary").textContent();
  if (!summary.includes("degree")) fail(`the request summary does not name the claim: ${summary}`);
  step(`the wallet read the request: ${summary}`);
  if ((await wallet.inputValue("#answer-send input[name=holder]")) === "") {
    fail("the holder DID was not filled from the credential's subject");
  }
  await wallet.fill("#answer-send input[name=key_id]", holderKey);
  await wallet.click("#answer-send button[type=submit]");
  await wallet.waitForFunction(() => {
    const v = document.getElementById("answer-verdict");
    const out = document.getElementById("api-result");
    return (v && !v.hidden) || (out && /not signed|Could not|refused/i.test(out.textContent));
  });
  if ((await wallet.locator("#answer-verdict").getAttribute("data-verified")) !== "true") {
    fail(`the answer did not verify: ${await wallet.locator("#answer-verdict").textContent()} ${await wallet.locator("#api-result").textContent()}`);
  }
  step(`the wallet answered: ${await wallet.locator("#answer-verdict").textContent()}`);
  await wallet.screenshot({ path: join(shots, "wallet-answer.png"), fullPage: true });

  // The verifier page picks the answer up.
  await verifier.waitForFunction(() => {
    const v = document.getElementById("verdict");
    return v && v.dataset.verified === "true";
  }, null, { timeout: 30_000 });
  step(`the verify page shows the wallet's answer: ${await verifier.locator("#verify-subject").textContent()}`);
  await verifier.screenshot({ path: join(shots, "verify-answered.png"), fullPage: true });

  if (problems.length) fail(problems.join("\n"));
  step("no script errors or CSP violations");
} finally {
  await browser.close();
}
