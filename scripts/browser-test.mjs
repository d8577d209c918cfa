// Browser test for the built book (scripts/book.sh check runs it):
// serves target/book on 127.0.0.1 (random port), drives a headless Chromium
// and checks what only a browser can: Pagefind search finds the right
// chapter in each language, the language switcher opens the same page in the
// other book and back, the landing page leads to both books, and no page
// loads a missing file or throws. Saves a screenshot of the zh search
// results to $BOOK_SCREENSHOT (default target/book-logs/search-zh.png; the
// committed book/search-zh.png is refreshed with
// BOOK_SCREENSHOT=book/search-zh.png scripts/book.sh check).
//
// Usage: node scripts/browser-test.mjs [SITE]   (default target/book)
// Browser: $CHROMIUM_PATH, else /usr/bin/chromium.

import { createRequire } from "node:module";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, statSync, createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, extname, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "node", "package.json"));
const { chromium } = require("playwright-core");

const root = resolve(here, "..");
const site = resolve(root, process.argv[2] ?? "target/book");
const screenshot = resolve(root, process.env.BOOK_SCREENSHOT || "target/book-logs/search-zh.png");
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const STEP_TIMEOUT = 10_000;

// Searches: [book, query, page that must be among the results].
const SEARCHES = [
  ["zh", "套接字", "sockets.html"],
  ["zh", "三次握手", "wire.html"],
  ["en", "handshake", "wire.html"],
];
// Pages that must never show up as results (duplicates or noise).
const NOT_RESULTS = /\/(print|404|index|toc)\.html$/;

const failures = [];
const fail = (what) => {
  failures.push(what);
  console.log(`  FAIL ${what}`);
};
const ok = (what) => console.log(`  ok   ${what}`);

// ---- a tiny static server for target/book ----------------------------------

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

function serve(dir) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = resolve(dir, "." + path);
    let size = -1;
    try {
      if (file === dir || file.startsWith(dir + sep)) size = statSync(file).isFile() ? statSync(file).size : -1;
    } catch {
      size = -1;
    }
    if (size < 0) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": size,
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ready) => server.listen(0, "127.0.0.1", () => ready(server)));
}

// ---- the checks ------------------------------------------------------------

async function search(page, base, lang, query, expected, shotPath) {
  await page.goto(`${base}/${lang}/index.html`);
  const input = page.locator("#book-search input");
  await input.waitFor({ timeout: STEP_TIMEOUT });
  await input.fill(query);
  // Pagefind UI writes "Searching for …..." then "N results for …" or
  // "No results for …"; each result fills in once its page data has loaded.
  const message = page.locator(".pagefind-ui__message");
  await page.waitForFunction(
    (q) => {
      const text = document.querySelector(".pagefind-ui__message")?.textContent.trim() ?? "";
      if (!text.includes(q) || text.endsWith("...")) return false;
      const links = document.querySelectorAll(".pagefind-ui__results .pagefind-ui__result-link").length;
      return !/\d/.test(text) || (links > 0 && !document.querySelector(".pagefind-ui__results .pagefind-ui__loading"));
    },
    query,
    { timeout: STEP_TIMEOUT },
  );
  if (shotPath) {
    // what a reader sees first
    await page.screenshot({ path: shotPath });
    ok(`screenshot of the results: ${shotPath.slice(root.length + 1)}`);
  }
  // Show every result, not just the first few.
  for (let i = 0; i < 20 && (await page.locator(".pagefind-ui__button").count()); i++) {
    const before = await page.locator(".pagefind-ui__result").count();
    await page.locator(".pagefind-ui__button").click();
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll(".pagefind-ui__result").length > n &&
        !document.querySelector(".pagefind-ui__results .pagefind-ui__loading"),
      before,
      { timeout: STEP_TIMEOUT },
    );
  }
  const links = await page.locator(".pagefind-ui__results .pagefind-ui__result-link").evaluateAll((as) => as.map((a) => a.href));
  const pages = [...new Set(links.map((href) => new URL(href).pathname))];
  const summary = `${lang}: search "${query}" -> ${(await message.textContent()).trim()}: ${pages.map((p) => p.split("/").pop()).join(", ") || "(none)"}`;
  if (pages.includes(`/${lang}/${expected}`)) ok(`${summary}`);
  else fail(`${summary}; expected ${expected}`);
  const noise = pages.filter((p) => NOT_RESULTS.test(p) || !p.startsWith(`/${lang}/`));
  if (noise.length) fail(`${lang}: search "${query}" returned pages that must not be results: ${noise.join(", ")}`);
}

async function languageSwitch(page, base) {
  const there = `${base}/en/tcp-server.html`;
  const back = `${base}/zh/tcp-server.html`;
  await page.goto(back);
  await page.click("#book-lang-switch", { timeout: STEP_TIMEOUT });
  await page.waitForURL(there, { timeout: STEP_TIMEOUT }).catch(() => {});
  const lang1 = await page.evaluate(() => document.documentElement.lang);
  if (page.url() === there && lang1 === "en") ok(`zh/tcp-server.html -> switcher -> en/tcp-server.html`);
  else fail(`switcher on zh/tcp-server.html led to ${page.url()} (lang ${lang1}), expected ${there}`);
  await page.click("#book-lang-switch", { timeout: STEP_TIMEOUT });
  await page.waitForURL(back, { timeout: STEP_TIMEOUT }).catch(() => {});
  const lang2 = await page.evaluate(() => document.documentElement.lang);
  if (page.url() === back && lang2 === "zh-CN") ok(`en/tcp-server.html -> switcher -> zh/tcp-server.html`);
  else fail(`switcher on en/tcp-server.html led to ${page.url()} (lang ${lang2}), expected ${back}`);
}

async function landing(page, base) {
  for (const [label, lang] of [["中文", "zh"], ["English", "en"]]) {
    await page.goto(`${base}/index.html`);
    await page.getByRole("link", { name: label }).click({ timeout: STEP_TIMEOUT });
    const want = `${base}/${lang}/index.html`;
    await page.waitForURL(want, { timeout: STEP_TIMEOUT }).catch(() => {});
    if (page.url() === want) ok(`landing page: ${label} -> ${lang}/index.html`);
    else fail(`landing page: ${label} led to ${page.url()}, expected ${want}`);
  }
}

// ---- main ------------------------------------------------------------------

const server = await serve(site);
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), "book-browser-"));
// Hard stop: never hang the test run.
const watchdog = setTimeout(() => {
  console.error("error: browser test timed out after 120 s");
  process.exit(1);
}, 120_000);

let context;
try {
  console.log(`  serving ${site.slice(root.length + 1) || site} at ${base}, browser ${executablePath}`);
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1100, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("response", (res) => {
    if (res.status() >= 400) fail(`HTTP ${res.status()} for ${res.url()} (on ${page.url()})`);
  });
  page.on("requestfailed", (req) => {
    if (req.failure()?.errorText !== "net::ERR_ABORTED") fail(`request failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on("pageerror", (err) => fail(`script error on ${page.url()}: ${err.message}`));

  for (const [lang, query, expected] of SEARCHES) {
    const shot = lang === "zh" && query === SEARCHES[0][1] ? screenshot : null;
    await search(page, base, lang, query, expected, shot).catch((e) =>
      fail(`${lang}: search "${query}": ${e.message.split("\n")[0]}`),
    );
  }
  await languageSwitch(page, base).catch((e) => fail(`language switcher: ${e.message.split("\n")[0]}`));
  await landing(page, base).catch((e) => fail(`landing page: ${e.message.split("\n")[0]}`));
} catch (e) {
  fail(`browser: ${e.message.split("\n")[0]}`);
} finally {
  await context?.close().catch(() => {});
  server.close();
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}

if (failures.length) {
  console.log(`error: browser test: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("  browser test passed");
