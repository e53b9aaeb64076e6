// Browser test of the Verify page: upload a credential's QR code image, see the verified result;
// upload a QR code whose text differs in one character, see it refused; scan a QR code with the
// camera (Chromium's fake camera playing a video of it), see the verified result; paste an
// SD-JWT presentation with the nonce and audience its key binding signed, see it verified, and
// with the page's own fresh nonce, see it refused.
//
// Environment: WEFT_URL (base URL), WEFT_TOKEN (a token), WEFT_QR_PNG (a holder's QR code),
// WEFT_QR_TAMPERED_PNG (the same QR text with one character changed), WEFT_QR_Y4M (optional: a
// Y4M video of another holder QR code, for the camera), WEFT_SD_JWT, WEFT_SD_NONCE, WEFT_SD_AUD
// (optional: an SD-JWT presentation and the nonce and audience it was bound to), WEFT_CHROMIUM,
// WEFT_SCREENSHOTS. Every
// step prints what it checked; any failure exits non-zero.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("WEFT_URL");
const token = env("WEFT_TOKEN");
const png = env("WEFT_QR_PNG");
const tampered = env("WEFT_QR_TAMPERED_PNG");
const shots = env("WEFT_SCREENSHOTS");
const video = process.env.WEFT_QR_Y4M || "";
const sdJwt = process.env.WEFT_SD_JWT || "";
mkdirSync(shots, { recursive: true });

const step = (what) => console.log(`ok: ${what}`);
const fail = (what) => { throw new Error(what); };

// The fake camera plays WEFT_QR_Y4M; the fake UI grants the camera permission.
const cameraArgs = video
  ? ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
     `--use-file-for-fake-video-capture=${video}`]
  : [];
const browser = await chromium.launch({
  executablePath: process.env.WEFT_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", ...cameraArgs],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
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
  step("signed in");

  await page.goto(base + "/verify");
  await page.setInputFiles("#qr-file", png);
  await page.click("#upload-form button[type=submit]");
  await page.locator("#verify-result").waitFor({ state: "visible" });
  const verdict = page.locator("#verdict");
  await verdict.waitFor();
  if ((await verdict.getAttribute("data-verified")) !== "true") {
    const rows = await page.locator("#checks tbody").textContent();
    fail(`the QR code did not verify: ${await verdict.textContent()} ${rows}`);
  }
  const rows = await page.locator("#checks tbody tr").count();
  if (rows < 4) fail(`only ${rows} checks listed`);
  const failed = await page.locator("#checks tbody td.bad").count();
  if (failed !== 0) fail(`${failed} checks failed on a valid credential`);
  step(`the uploaded QR code verified: ${rows} checks, all pass (${await page.locator("#verify-subject").textContent()})`);
  await page.screenshot({ path: join(shots, "verify.png"), fullPage: true });

  // One character changed in the QR text: the page must not show it as verified.
  await page.goto(base + "/verify");
  await page.setInputFiles("#qr-file", tampered);
  await page.click("#upload-form button[type=submit]");
  await page.waitForFunction(() => {
    const out = document.getElementById("api-result");
    const v = document.getElementById("verdict");
    return (v && v.dataset.verified === "false") ||
      (out && !out.hidden && /Could not read|gone|Not a valid|failed|elsewhere|Unknown|nothing/i.test(out.textContent));
  });
  if ((await page.locator("#verdict").getAttribute("data-verified")) === "true") {
    fail("a tampered QR code verified");
  }
  step(`a QR code with one changed character is refused: "${(await page.locator("#api-result").textContent()).slice(0, 120)}"`);
  await page.screenshot({ path: join(shots, "verify-tampered.png"), fullPage: true });

  if (video) {
    // Camera: frames of the video go to the server's decoder until one reads.
    await page.goto(base + "/verify");
    await page.click("#camera-start");
    await page.waitForFunction(() => {
      const v = document.getElementById("verdict");
      return v && (v.dataset.verified === "true" || v.dataset.verified === "false");
    }, null, { timeout: 60_000 });
    const scanned = page.locator("#verdict");
    if ((await scanned.getAttribute("data-verified")) !== "true" || (await scanned.textContent()) !== "Verified") {
      fail(`the camera scan did not verify: ${await scanned.textContent()} ${await page.locator("#checks tbody").textContent()}`);
    }
    if (!(await page.locator("#camera").isHidden())) fail("the camera kept running after a successful scan");
    step(`the camera scan verified: ${await page.locator("#checks tbody tr").count()} checks (${await page.locator("#verify-subject").textContent()})`);
    await page.screenshot({ path: join(shots, "verify-camera.png"), fullPage: true });
  }

  if (sdJwt) {
    // SD-JWT: the page sends the nonce and audience the key binding must carry.
    const nonce = env("WEFT_SD_NONCE");
    const aud = env("WEFT_SD_AUD");
    await page.goto(base + "/verify");
    const fresh = await page.inputValue("#sd-nonce");
    if (!/^[0-9a-f]{32}$/.test(fresh)) fail(`the page offers no fresh nonce: "${fresh}"`);
    if ((await page.inputValue("#sd-aud")) !== new URL(base).origin) fail("the audience is not this site");
    await page.fill("#sd-nonce", nonce);
    await page.fill("#sd-aud", aud);
    await page.fill("#paste-form textarea", sdJwt);
    await page.click("#paste-form button[type=submit]");
    await page.waitForFunction(() => {
      const v = document.getElementById("verdict");
      return v && (v.dataset.verified === "true" || v.dataset.verified === "false");
    });
    if ((await page.locator("#verdict").getAttribute("data-verified")) !== "true") {
      fail(`the SD-JWT did not verify: ${await page.locator("#api-result").textContent()}`);
    }
    step(`the pasted SD-JWT verified with its nonce and audience: ${await page.locator("#verify-subject").textContent()}`);
    await page.screenshot({ path: join(shots, "verify-sd-jwt.png"), fullPage: true });
    // The page's own fresh nonce is not the one the holder signed: refused.
    await page.goto(base + "/verify");
    await page.fill("#paste-form textarea", sdJwt);
    await page.click("#paste-form button[type=submit]");
    await page.waitForFunction(() => {
      const v = document.getElementById("verdict");
      return v && v.dataset.verified === "false";
    });
    step(`an SD-JWT bound to another nonce is refused: "${(await page.locator("#api-result").textContent()).slice(0, 120)}"`);
  }

  if (problems.length) fail(problems.join("\n"));
  step("no script errors or CSP violations");
} finally {
  await browser.close();
}
