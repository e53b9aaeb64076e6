// Browser smoke test of the Weft web UI, run by `api/tests/browser.rs` against a live `weft up`.
//
// Environment: WEFT_URL (base URL), WEFT_TOKEN (an admin token), WEFT_BIN (the `weft` binary),
// WEFT_ADMIN_KEY (the admin key file, to send a transaction), WEFT_CHROMIUM (browser binary),
// WEFT_SCREENSHOTS (directory for screenshots).
//
// Steps: open the overview; refuse a wrong token; sign in; open the explorer and wait for it to go
// live; send a transaction with the CLI; see its block appear without reloading; follow the block
// and the transaction. Every step prints what it checked; any failure exits non-zero.

import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("WEFT_URL");
const token = env("WEFT_TOKEN");
const weft = env("WEFT_BIN");
const adminKey = env("WEFT_ADMIN_KEY");
const shots = env("WEFT_SCREENSHOTS");
mkdirSync(shots, { recursive: true });

const step = (what) => console.log(`ok: ${what}`);
const fail = (what) => { throw new Error(what); };

const browser = await chromium.launch({
  executablePath: process.env.WEFT_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // CI runs as root, where Chromium's sandbox cannot start.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
  // Script errors and CSP violations are failures; failed fetches (the 401 of a wrong token)
  // are expected and checked on the page itself.
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  await page.goto(base + "/");
  if (!(await page.title()).startsWith("Overview")) fail(`overview title is ${await page.title()}`);
  for (const label of ["Chain", "Identity", "Credentials", "Verify", "PSI", "Voting", "Governance"]) {
    await page.locator("header nav a", { hasText: label }).waitFor();
  }
  step("overview shows the seven sections");

  await page.goto(base + "/signin");
  await page.fill("#token", "weft_not-a-real-token");
  await page.click("#signin-form button[type=submit]");
  await page.locator("#signin-result.error").waitFor();
  if (await page.locator("#signed-in").isVisible()) fail("a wrong token signed in");
  step(`a wrong token is refused: "${await page.locator("#signin-result").textContent()}"`);

  await page.fill("#token", token);
  await page.click("#signin-form button[type=submit]");
  await page.locator("#signin-result.ok").waitFor();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  step(`signed in: ${await page.locator("#who-name").textContent()}`);

  await page.click("header nav a:has-text('Chain')");
  await page.waitForURL(base + "/chain");
  await page.locator("#live-state.on").waitFor();
  if (!(await page.locator("#signed-in").isVisible())) fail("sign-in was lost on navigation");
  const before = Number(await page.locator("#head-height").textContent());
  step(`explorer is live at height ${before}, still signed in`);

  // A transaction from the page itself: REST with the signed-in token and a custodied key.
  await page.click("#noop-button");
  await page.locator("#noop-result.ok").waitFor();
  const hash = (await page.locator("#noop-result a").getAttribute("href")).replace("/chain/tx/", "");
  step(`sent a no-op from the explorer with the token: ${await page.locator("#noop-result").textContent()}`);

  // The block holding it appears without a reload: a row above the old head with one transaction.
  const row = page.locator("tbody#blocks tr").filter({
    has: page.locator("td:nth-child(3)", { hasText: /^1$/ }),
  }).first();
  await row.waitFor();
  const height = Number(await row.getAttribute("data-height"));
  if (!(height > before)) fail(`new row at height ${height}, not above ${before}`);
  if (Number(await page.locator("#head-height").textContent()) < height) fail("head height not updated");
  step(`block ${height} appeared live in the explorer`);

  // And one from outside the browser (the CLI, signing locally): its block appears too.
  const { stdout } = await promisify(execFile)(
    weft, ["tx", "send", "--rpc", base, "--key", adminKey, "governance", "noop"], { timeout: 30_000 });
  const cliHash = (stdout.match(/0x[0-9a-f]{64}/) || fail(`no tx hash in: ${stdout}`))[0];
  await page.waitForFunction(
    (h) => [...document.querySelectorAll("tbody#blocks tr")].some((r) => Number(r.dataset.height) > h),
    height);
  step(`a transaction sent with the CLI (${cliHash.slice(0, 10)}…) arrived live in a later block`);
  await page.screenshot({ path: join(shots, "explorer.png"), fullPage: true });

  await page.click(`tbody#blocks tr[data-height="${height}"] a`);
  await page.waitForURL(`${base}/chain/blocks/${height}`);
  await page.locator("h2", { hasText: "1 transaction(s)" }).waitFor();
  await page.click(`a[href="/chain/tx/${hash}"]`);
  await page.locator("dd .ok", { hasText: "success" }).waitFor();
  step(`block ${height} lists the transaction, and its page shows success`);
  await page.screenshot({ path: join(shots, "transaction.png"), fullPage: true });

  await page.click("#signout");
  await page.locator("#signin-link").waitFor({ state: "visible" });
  await page.goto(base + "/chain");
  if (await page.locator("#send-noop").isVisible()) fail("the signed-out explorer offers to sign");
  step("signed out; the explorer no longer offers to sign");

  if (problems.length) fail(problems.join("\n"));
  step("no script errors or CSP violations");
} finally {
  await browser.close();
}
