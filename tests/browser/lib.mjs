// Helpers for the browser tests: inputs, assertions, watched pages, signing in, navigation.

import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** A failed check: its message says what was expected and what the page had. */
export class CheckFailed extends Error {}

export function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

export function checkEqual(actual, expected, what) {
  check(
    actual === expected,
    `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
  );
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (tests/web_browser.rs sets it)`);
  return value;
}

/** The inputs the Rust test passes in environment variables. */
export function inputs() {
  const base = required('DATAREQ_BASE_URL').replace(/\/$/, '');
  const artifacts = required('DATAREQ_ARTIFACTS');
  for (const dir of ['', 'pages', 'xss', 'downloads']) mkdirSync(path.join(artifacts, dir), { recursive: true });
  return {
    base,
    origin: new URL(base).origin,
    artifacts,
    chromium: process.env.DATAREQ_CHROMIUM || '/usr/bin/chromium',
    accounts: JSON.parse(required('DATAREQ_ACCOUNTS')),
    refs: JSON.parse(required('DATAREQ_REFS')),
    xss: JSON.parse(required('DATAREQ_XSS')),
  };
}

/** Chromium's flags on this machine (no network but loopback, no sandbox as root). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A page in a context of its own (its own cookies), with everything it does recorded:
 * dialogs (dismissed), console messages, uncaught errors, requests, pop-ups, main-frame
 * navigations.
 */
export async function openPage(browser, env, options = {}) {
  const context = await browser.newContext({
    acceptDownloads: true,
    locale: options.locale ?? 'fi-FI',
    viewport: { width: 1280, height: 900 },
    ...options.context,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const events = newEvents();
  page.on('dialog', (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('console', (message) => {
    events.console.push({ type: message.type(), text: message.text(), url: message.location()?.url ?? '' });
  });
  page.on('pageerror', (error) => events.pageErrors.push(String(error)));
  page.on('popup', (popup) => events.popups.push(popup.url()));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) events.navigations.push(frame.url());
    else events.subframes.push(frame.url());
  });
  context.on('request', (request) => {
    events.requests.push({ method: request.method(), url: request.url() });
    if (new URL(request.url()).origin !== env.origin) events.offsite.push(request.url());
  });
  context.on('websocket', (ws) => events.offsite.push(ws.url()));
  return { context, page, events };
}

function newEvents() {
  return {
    dialogs: [],
    console: [],
    pageErrors: [],
    popups: [],
    navigations: [],
    subframes: [],
    requests: [],
    offsite: [],
    reset() {
      for (const key of Object.keys(this)) if (Array.isArray(this[key])) this[key].length = 0;
    },
  };
}

/**
 * Asserts that nothing ran, opened or left the server. A console error is allowed only for a
 * page that was meant to answer 4xx (`allowedStatusPages`: paths) or for /favicon.ico.
 */
export function checkQuiet(events, env, where, allowedStatusPages = []) {
  const problems = [];
  for (const d of events.dialogs) problems.push(`dialog opened: ${d}`);
  for (const e of events.pageErrors) problems.push(`uncaught script error: ${e}`);
  for (const p of events.popups) problems.push(`pop-up opened: ${p}`);
  for (const u of events.offsite) problems.push(`request off the server's origin: ${u}`);
  for (const f of events.subframes) problems.push(`a frame loaded: ${f}`);
  for (const m of events.console) {
    if (m.type !== 'error' && m.type !== 'warning') continue;
    const failedLoad = /^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text);
    const url = m.url ? new URL(m.url) : null;
    const allowed =
      failedLoad &&
      url &&
      url.origin === env.origin &&
      (url.pathname === '/favicon.ico' || allowedStatusPages.some((p) => url.pathname === p || (url.pathname + url.search) === p));
    if (!allowed) problems.push(`console ${m.type}: ${m.text}${m.url ? ` (${m.url})` : ''}`);
  }
  check(problems.length === 0, `${where}:\n    ${problems.join('\n    ')}`);
}

/**
 * Does `action` (a click, a submit) and waits for the navigation it starts to end on a page
 * (after any redirects). Returns that page's response.
 */
export async function navigate(page, action) {
  const answered = page.waitForResponse(
    (r) =>
      r.request().isNavigationRequest() &&
      r.frame() === page.mainFrame() &&
      !(r.status() >= 300 && r.status() < 400),
  );
  await action();
  const response = await answered;
  await page.waitForLoadState('load');
  return response;
}

/** Goes to `pathAndQuery` on the server; returns the final response. */
export async function visit(page, env, pathAndQuery) {
  const response = await page.goto(env.base + pathAndQuery, { waitUntil: 'load' });
  check(response, `${pathAndQuery}: no response`);
  return response;
}

export function pathOf(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** The main element's visible text. */
export async function mainText(page) {
  return page.locator('main').innerText();
}

/** Signs in through the form as `account`; asserts it lands on `home`. */
export async function signIn(page, env, account, home) {
  await visit(page, env, '/login');
  await page.locator('#name').fill(account.name);
  await page.locator('#password').fill(account.password);
  const response = await navigate(page, () => page.locator('main form button[type="submit"]').click());
  checkEqual(response.status(), 200, `signing in as ${account.name}: status`);
  checkEqual(new URL(page.url()).pathname, home, `signing in as ${account.name}: the page reached`);
  check(
    (await page.locator('form.signout strong').innerText()) === account.name,
    `signed in as ${account.name}: the header names the account`,
  );
}

/** Signs out with the header's button; asserts the sign-in page follows. */
export async function signOut(page) {
  const response = await navigate(page, () => page.locator('form.signout button').click());
  checkEqual(response.status(), 200, 'signing out: status');
  checkEqual(new URL(page.url()).pathname, '/login', 'signing out: the page reached');
}

/** Opens `pathAndQuery` expecting the 403 page. */
export async function expectForbidden(page, env, pathAndQuery, who) {
  const response = await visit(page, env, pathAndQuery);
  checkEqual(response.status(), 403, `${who} opening ${pathAndQuery}: status`);
  checkEqual(await page.locator('h1').innerText(), '403', `${who} opening ${pathAndQuery}: heading`);
  const text = await mainText(page);
  check(
    text.includes('Sinulla ei ole oikeutta tähän sivuun.') && text.includes('You may not open this page.'),
    `${who} opening ${pathAndQuery}: the 403 page explains (got: ${text})`,
  );
}

/** Switches the interface's language with the header's language link. */
export async function chooseLanguage(page, lang) {
  const current = await page.locator('html').getAttribute('lang');
  if (current === lang) return;
  const before = new URL(page.url()).pathname;
  await navigate(page, () => page.locator(`nav.languages a[lang="${lang}"]`).click());
  checkEqual(await page.locator('html').getAttribute('lang'), lang, `language link ${lang}: <html lang>`);
  checkEqual(new URL(page.url()).pathname, before, `language link ${lang}: back on the same page`);
}

/** A file name for an artefact. */
export function artifactName(text) {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

export async function screenshot(page, env, dir, name) {
  const file = path.join(env.artifacts, dir, `${artifactName(name)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
