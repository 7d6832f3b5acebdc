// datareq's web interface in a real browser (Debian's Chromium driven by playwright-core),
// with axe-core for accessibility. Started by tests/web_browser.rs, which sets up the server
// and passes everything in environment variables:
//
//   DATAREQ_BASE_URL   the interface, e.g. http://127.0.0.1:41234
//   DATAREQ_ARTIFACTS  where screenshots, the downloaded zip and result.json go
//   DATAREQ_ACCOUNTS   {"clerk"|"helsinki"|"espoo"|"admin": {"name", "password"}}
//   DATAREQ_REFS       {"to_queue", "to_queue_personal_id", "to_return", "helsinki_queued": [...], "all": [...]}
//   DATAREQ_XSS        [{"id", "reference", "state", "expect": [...], "clean"}]: the hostile corpus
//   DATAREQ_CHROMIUM   the browser (default /usr/bin/chromium)
//
// Each step runs in a browser context of its own and signs in for itself; a failed step is
// reported and the others still run. Exit status 0 only when every step passed.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { AXE_VERSION, describeViolations, runAxe } from './axe.mjs';
import {
  CHROMIUM_ARGS,
  check,
  checkEqual,
  checkQuiet,
  chooseLanguage,
  expectForbidden,
  inputs,
  mainText,
  navigate,
  openPage,
  pathOf,
  screenshot,
  signIn,
  signOut,
  visit,
} from './lib.mjs';
import { hostilePages, typedPayloads } from './xss.mjs';

const env = inputs();
const LANGS = ['fi', 'sv', 'en'];
const result = { picked: [], disclosed: [], zip: null, pages_checked: 0, hostile_pages: 0, axe: [], steps: [] };
const pagesSeen = new Set();

function seen(page) {
  pagesSeen.add(pathOf(page));
}

// ---------------------------------------------------------------------------------------
// Signed out.

async function signedOut(browser) {
  const { page, events } = await openPage(browser, env);
  const response = await visit(page, env, '/review?sort=-due');
  checkEqual(response.status(), 200, 'signed out, /review: final status');
  checkEqual(pathOf(page), '/login?next=%2Freview%3Fsort%3D-due', 'signed out, /review ends on the sign-in page');
  checkEqual(await page.locator('h1').innerText(), 'Kirjaudu sisään', 'sign-in page heading');
  check(await page.locator('input[type="hidden"][name="next"][value="/review?sort=-due"]').count() === 1, 'the sign-in form carries next=/review?sort=-due');
  seen(page);

  // A wrong password: the problem is announced and tied to the field.
  await page.locator('#name').fill(env.accounts.clerk.name);
  await page.locator('#password').fill('not-the-password-at-all');
  const refused = await navigate(page, () => page.locator('main form button[type="submit"]').click());
  checkEqual(refused.status(), 401, 'a wrong password: status');
  const alert = page.locator('#login-problem[role="alert"]');
  checkEqual(await alert.innerText(), 'Käyttäjätunnus tai salasana on väärin.', 'a wrong password: the message');
  checkEqual(await page.locator('#name').getAttribute('aria-describedby'), 'login-problem', 'the name field points at the problem');
  await screenshot(page, env, 'pages', 'login-wrong-password');

  // The right one: back to where the visit started.
  await page.locator('#name').fill(env.accounts.clerk.name);
  await page.locator('#password').fill(env.accounts.clerk.password);
  await navigate(page, () => page.locator('main form button[type="submit"]').click());
  checkEqual(pathOf(page), '/review?sort=-due', 'signing in returns to the page first asked for');
  checkQuiet(events, env, 'signed out', ['/login']);
}

// ---------------------------------------------------------------------------------------
// The clerk.

/** The queue's due dates (YYYY-MM-DD), in table order. */
async function dueDates(page) {
  const cells = await page.locator('table.queue tbody tr td:nth-child(4)').allInnerTexts();
  return cells.map((c) => c.slice(0, 10));
}

function sorted(dates, descending) {
  for (let i = 1; i < dates.length; i += 1) {
    if (descending ? dates[i - 1] < dates[i] : dates[i - 1] > dates[i]) return false;
  }
  return true;
}

async function queueTotal(page) {
  const status = await page.locator('main p[role="status"]').innerText();
  const m = /^(\d+) pyyntöä jonossa\.$/.exec(status);
  check(m, `the queue's count line: ${status}`);
  return Number(m[1]);
}

async function clerk(browser) {
  const { page, events } = await openPage(browser, env);
  const { refs } = env;
  await signIn(page, env, env.accounts.clerk, '/dashboard');

  // The dashboard.
  checkEqual(await page.locator('h1').innerText(), 'Yleiskuva', 'dashboard heading');
  checkEqual(await page.locator('nav[aria-label="Päävalikko"] a[aria-current="page"]').innerText(), 'Yleiskuva', 'dashboard: current navigation item');
  const states = await page.locator('#states-title + table').innerText();
  for (const s of ['käsittelijälle', 'luovutusjonossa', 'puutteellinen']) check(states.includes(s), `dashboard: requests by state lists "${s}"`);
  const chart = page.locator('svg.chart[role="img"]');
  check(await chart.count() === 1, 'dashboard: the chart');
  check(await chart.locator('rect.bar').count() > 0, 'dashboard: the chart has bars (requests were received today)');
  checkEqual(await chart.getAttribute('aria-labelledby'), 'chart-title', 'dashboard: the chart is labelled');
  const summary = await page.locator('#chart-summary').innerText();
  check(/saapui \d+ pyyntöä/.test(summary), `dashboard: the chart's summary (${summary})`);
  await page.locator('details summary').click();
  check(await page.locator('details table tbody tr').count() === 60, 'dashboard: the chart as a table of 60 days');
  seen(page);

  // The queue: due dates ascending, then descending by the column's link, then back.
  await navigate(page, () => page.locator('nav[aria-label="Päävalikko"] a[href="/review"]').click());
  checkEqual(new URL(page.url()).pathname, '/review', 'the queue link');
  const total = await queueTotal(page);
  check(total >= 58, `the queue holds the dev corpus's requests in review (${total})`);
  checkEqual(await page.locator('table.queue tbody tr').count(), Math.min(total, 50), 'the queue: rows on the first page');
  const dueHeader = page.locator('table.queue th[aria-sort]');
  checkEqual(await dueHeader.getAttribute('aria-sort'), 'ascending', 'the queue is sorted by due date, earliest first');
  check(sorted(await dueDates(page), false), 'the queue: due dates ascending');
  await navigate(page, () => dueHeader.locator('a').click());
  check(new URL(page.url()).searchParams.get('sort') === '-due', `the sort link: ${page.url()}`);
  checkEqual(await dueHeader.getAttribute('aria-sort'), 'descending', 'after the sort link: descending');
  check(sorted(await dueDates(page), true), 'the queue: due dates descending');
  seen(page);
  await navigate(page, () => dueHeader.locator('a').click());
  checkEqual(await dueHeader.getAttribute('aria-sort'), 'ascending', 'the sort link again: ascending');

  // The next page.
  if (total > 50) {
    await navigate(page, () => page.locator('nav.pages a[rel="next"]').click());
    checkEqual(new URL(page.url()).searchParams.get('page'), '2', 'the next-page link');
    checkEqual(await page.locator('table.queue tbody tr').count(), Math.min(total - 50, 50), 'rows on page 2');
    check((await page.locator('nav.pages').innerText()).includes(`Sivu 2 / ${Math.ceil(total / 50)}`), 'page 2 says so');
    check(await page.locator('nav.pages a[rel="prev"]').count() === 1, 'page 2 links back');
    seen(page);
  }

  // The reason filter.
  const option = page.locator('#reason option[value="conflicting_personal_ids"]');
  const label = await option.innerText();
  const expected = Number(/\((\d+)\)$/.exec(label)?.[1]);
  check(expected > 0, `the reason filter offers conflicting_personal_ids with a count (${label})`);
  await page.locator('#reason').selectOption('conflicting_personal_ids');
  await navigate(page, () => page.locator('form.filter button').click());
  const url = new URL(page.url());
  checkEqual(url.searchParams.get('reason'), 'conflicting_personal_ids', 'the filter: reason in the address');
  checkEqual(await queueTotal(page), expected, 'the filter: the count line matches the option');
  checkEqual(await page.locator('#reason').inputValue(), 'conflicting_personal_ids', 'the filter stays selected');
  const reasons = await page.locator('table.queue tbody tr td:nth-child(2)').allInnerTexts();
  checkEqual(reasons.length, Math.min(expected, 50), 'the filter: rows');
  check(reasons.every((r) => r.includes('useita henkilötunnuksia')), `the filter: every row has the reason (${reasons.join(' / ')})`);
  // Sorting keeps the filter.
  await navigate(page, () => dueHeader.locator('a').click());
  checkEqual(new URL(page.url()).searchParams.get('reason'), 'conflicting_personal_ids', 'sorting keeps the filter');
  seen(page);

  // A request in review: correct a field, then queue it.
  await visit(page, env, `/requests/${refs.to_queue}`);
  checkEqual(await page.locator('h1').innerText(), `Pyyntö ${refs.to_queue}`, 'request page heading');
  const stateCell = page.locator('dl.summary dt:text-is("Tila") + dd');
  checkEqual(await stateCell.innerText(), 'käsittelijälle', 'the request is in review');
  seen(page);
  const id = refs.to_queue_personal_id;
  await page.locator('#edit-personal_id').fill(id);
  let response = await navigate(page, () => page.locator('form:has(#edit-personal_id) button').click());
  checkEqual(response.status(), 200, 'saving a correction: status');
  check(new URL(page.url()).searchParams.get('done') === '1', `saving a correction: ${page.url()}`);
  checkEqual(await page.locator('p.notice[role="status"]').innerText(), 'Tallennettu.', 'saving a correction: the notice');
  checkEqual(await page.locator('#edit-personal_id').inputValue(), id, 'the corrected value');
  await page.locator('#action-queue').check();
  response = await navigate(page, () => page.locator('form.resolve button[type="submit"]').click());
  if (response.status() !== 200) {
    const problem = await page.locator('.problem').innerText().catch(() => '');
    check(false, `queueing ${refs.to_queue}: status ${response.status()}: ${problem}`);
  }
  checkEqual(await page.locator('p.notice[role="status"]').innerText(), 'Tallennettu.', 'queueing: the notice');
  checkEqual(await stateCell.innerText(), 'luovutusjonossa', 'queueing: the state');
  check(await page.locator('form.resolve').count() === 0, 'a queued request has no resolve form');
  const history = await page.locator('table.history').innerText();
  check(history.includes(`web:${env.accounts.clerk.name}`) || history.includes(env.accounts.clerk.name), `the history names the clerk (${history.slice(-300)})`);
  await screenshot(page, env, 'pages', 'request-queued');

  // A request that lacks something: ask the citizen.
  await visit(page, env, `/requests/${refs.to_return}`);
  checkEqual(await stateCell.innerText(), 'käsittelijälle', `${refs.to_return} is in review`);
  await page.locator('#action-reply_missing').check();
  response = await navigate(page, () => page.locator('form.resolve button[type="submit"]').click());
  if (response.status() !== 200) {
    const problem = await page.locator('.problem').innerText().catch(() => '');
    check(false, `returning ${refs.to_return}: status ${response.status()}: ${problem}`);
  }
  checkEqual(await page.locator('p.notice[role="status"]').innerText(), 'Tallennettu.', 'returning: the notice');
  checkEqual(await stateCell.innerText(), 'puutteellinen', 'returned to the citizen: the state');

  // A resolution without a choice is not sent (the radios are required).
  await visit(page, env, `/requests/${env.xss.find((x) => x.state === 'needs_review').reference}`);
  events.reset();
  await page.locator('form.resolve button[type="submit"]').click();
  await page.waitForTimeout(200);
  check(events.requests.every((r) => r.method !== 'POST'), 'a resolution without a choice is not posted');

  // Pages that are not the clerk's.
  await expectForbidden(page, env, '/pickup', 'the clerk');
  await expectForbidden(page, env, '/users', 'the clerk');
  const missing = await visit(page, env, '/requests/DR-2026-999999');
  checkEqual(missing.status(), 404, 'an unknown reference: status');
  const bogus = await visit(page, env, '/requests/%3Cscript%3E');
  checkEqual(bogus.status(), 404, 'a bogus reference: status');
  await screenshot(page, env, 'pages', 'error-404');

  // Sign out: the session is gone.
  await visit(page, env, '/dashboard');
  await signOut(page);
  await visit(page, env, '/dashboard');
  checkEqual(pathOf(page), '/login?next=%2Fdashboard', 'after signing out, /dashboard asks to sign in');
  checkQuiet(events, env, 'the clerk', ['/pickup', '/users', '/requests/DR-2026-999999', '/requests/%3Cscript%3E']);
}

// ---------------------------------------------------------------------------------------
// City staff.

async function helsinki(browser) {
  const { page, events } = await openPage(browser, env);
  await signIn(page, env, env.accounts.helsinki, '/pickup');
  checkEqual(await page.locator('h1').innerText(), 'Nouto: Helsingin kaupunki / City of Helsinki', 'pick-up heading');
  seen(page);
  const queuedForm = page.locator('form[action="/pickup"]');
  const boxes = queuedForm.locator('input[type="checkbox"][name="ref"]');
  const listed = await boxes.evaluateAll((els) => els.map((e) => e.value));
  for (const r of env.refs.helsinki_queued) check(listed.includes(r), `the pick-up page lists ${r}`);
  check(listed.length >= env.refs.helsinki_queued.length, `the pick-up page lists every queued request (${listed.length})`);
  const checked = await boxes.evaluateAll((els) => els.filter((e) => e.checked).length);
  checkEqual(checked, Math.min(listed.length, 50), 'the first 50 are selected to start with');
  // Each checkbox is labelled by its reference.
  checkEqual(await page.getByLabel(listed[0], { exact: true }).getAttribute('value'), listed[0], 'a checkbox labelled by its reference');

  // Select five and download.
  const chosen = listed.slice(0, 5);
  for (const r of listed.slice(0, 50)) await page.locator(`#q-${r}`).uncheck();
  for (const r of chosen) await page.locator(`#q-${r}`).check();
  const [download] = await Promise.all([page.waitForEvent('download'), queuedForm.locator('button[type="submit"]').click()]);
  const name = download.suggestedFilename();
  check(/^datareq-helsinki-\d{14}UTC\.zip$/.test(name), `the download's name: ${name}`);
  const zip = path.join(env.artifacts, 'downloads', name);
  await download.saveAs(zip);
  check(!(await download.failure()), `the download failed: ${await download.failure()}`);
  result.zip = zip;
  result.picked = chosen;

  // They wait for confirmation now; the others still wait for pick-up.
  await visit(page, env, '/pickup');
  const picked = await page.locator('form[action="/pickup/disclosed"] input[name="ref"]').evaluateAll((els) => els.map((e) => e.value));
  checkEqual(JSON.stringify(picked.slice().sort()), JSON.stringify(chosen.slice().sort()), 'the picked-up list');
  const still = await boxes.evaluateAll((els) => els.map((e) => e.value));
  check(chosen.every((r) => !still.includes(r)), 'the picked-up ones are no longer waiting');
  checkEqual(still.length, listed.length - chosen.length, 'the rest still wait');

  // Mark three disclosed.
  const done = chosen.slice(0, 3);
  for (const r of done) await page.locator(`#p-${r}`).check();
  const response = await navigate(page, () => page.locator('form[action="/pickup/disclosed"] button').click());
  checkEqual(response.status(), 200, 'marking disclosed: status');
  checkEqual(await page.locator('p.notice[role="status"]').innerText(), '3 pyyntöä merkitty luovutetuiksi.', 'marking disclosed: the notice');
  const left = await page.locator('form[action="/pickup/disclosed"] input[name="ref"]').evaluateAll((els) => els.map((e) => e.value));
  checkEqual(JSON.stringify(left.sort()), JSON.stringify(chosen.slice(3).sort()), 'still awaiting confirmation');
  result.disclosed = done;
  await screenshot(page, env, 'pages', 'pickup-after-disclosed');

  // Nothing selected: a reason, not an error.
  const none = await navigate(page, () => page.locator('form[action="/pickup/disclosed"] button').click());
  checkEqual(none.status(), 422, 'marking none: status');
  checkEqual(await page.locator('.problem[role="alert"]').innerText(), 'Valitse ainakin yksi pyyntö.', 'marking none: the reason');

  await expectForbidden(page, env, '/review', 'Helsinki staff');
  await expectForbidden(page, env, '/dashboard', 'Helsinki staff');
  await expectForbidden(page, env, `/requests/${chosen[0]}`, 'Helsinki staff');
  await expectForbidden(page, env, '/users', 'Helsinki staff');
  await visit(page, env, '/pickup');
  await signOut(page);
  checkQuiet(events, env, 'Helsinki staff', ['/review', '/dashboard', `/requests/${chosen[0]}`, '/users', '/pickup/disclosed']);
}

async function espoo(browser) {
  const { page, events } = await openPage(browser, env);
  await signIn(page, env, env.accounts.espoo, '/pickup');
  checkEqual(await page.locator('h1').innerText(), 'Nouto: City of Espoo', 'Espoo pick-up heading');
  const text = await mainText(page);
  check(text.includes('Ei noudettavia pyyntöjä.') && text.includes('Ei noudettuja pyyntöjä.'), `Espoo has nothing to pick up (${text})`);
  const html = await page.content();
  const leaked = env.refs.all.filter((r) => html.includes(r));
  check(leaked.length === 0, `Espoo's page shows Helsinki's references: ${leaked.join(', ')}`);
  check(!/DR-\d{4}-\d+/.test(html), "Espoo's page shows no reference at all");
  check(await page.locator('input[name="ref"]').count() === 0, 'Espoo has no checkboxes');
  await screenshot(page, env, 'pages', 'pickup-espoo');
  await expectForbidden(page, env, '/review', 'Espoo staff');
  await expectForbidden(page, env, `/requests/${env.refs.helsinki_queued[0]}`, 'Espoo staff');
  checkQuiet(events, env, 'Espoo staff', ['/review', `/requests/${env.refs.helsinki_queued[0]}`]);
}

async function admin(browser) {
  const { page, events } = await openPage(browser, env);
  await signIn(page, env, env.accounts.admin, '/users');
  const rows = await page.locator('main table tbody tr td:first-child').allInnerTexts();
  for (const a of Object.values(env.accounts)) check(rows.includes(a.name), `the users page lists ${a.name}`);
  const own = page.locator('main table tbody tr', { has: page.locator(`td:text-is("${env.accounts.admin.name}")`) });
  check(await own.locator('form').count() === 0, 'no form to disable one\'s own account');
  seen(page);

  // A new account through the form, then disabled.
  await page.locator('#new-name').fill('browser-clerk');
  await page.locator('#new-role').selectOption('kela_clerk');
  await page.locator('#new-password').fill('browser-clerk-password-1');
  await navigate(page, () => page.locator('form[action="/users"] button').click());
  checkEqual(new URL(page.url()).pathname, '/users', 'adding an account returns to the list');
  const row = page.locator('main table tbody tr', { has: page.locator('td:text-is("browser-clerk")') });
  checkEqual(await row.locator('td:nth-child(4)').innerText(), 'käytössä', 'the new account is active');
  await navigate(page, () => row.locator('form button').click());
  checkEqual(await row.locator('td:nth-child(4)').innerText(), 'poistettu käytöstä', 'the new account is disabled');
  // A short password is refused with a reason.
  await page.locator('#new-name').fill('short-password');
  // (The field's own minlength would stop the browser: the server's check is the one tested.)
  await page.locator('#new-password').evaluate((e) => e.removeAttribute('minlength'));
  await page.locator('#new-password').fill('short');
  const refused = await navigate(page, () => page.locator('form[action="/users"] button').click());
  checkEqual(refused.status(), 422, 'a short password: status');
  check((await page.locator('.problem[role="alert"]').innerText()).length > 0, 'a short password: a reason');
  await expectForbidden(page, env, '/dashboard', 'the administrator');
  await expectForbidden(page, env, '/pickup', 'the administrator');
  await visit(page, env, '/users');
  await signOut(page);
  checkQuiet(events, env, 'the administrator', ['/dashboard', '/pickup', '/users']);
}

// ---------------------------------------------------------------------------------------
// The hostile corpus.

async function hostile(browser) {
  const { page, events } = await openPage(browser, env);
  await signIn(page, env, env.accounts.clerk, '/dashboard');
  const pages = await hostilePages(page, events, env);
  result.hostile_pages = pages.pages;
  const typed = await typedPayloads(page, events, env);
  const failures = [...pages.failures, ...typed.failures];
  const line = `${pages.pages}/${env.xss.length} hostile request pages inert; ${typed.typed} payloads typed into the correction forms of ${typed.reference} (${typed.saved} saved, ${typed.refused} refused) inert`;
  check(failures.length === 0, `${line}\n  ${failures.length} failure(s):\n  ${failures.join('\n  ')}`);
  return line;
}

// ---------------------------------------------------------------------------------------
// Accessibility.

/** Every page kind, in each language (the error pages are in all three at once). */
async function accessibility(browser) {
  const report = [];
  const runOn = async (page, kind, lang) => {
    const { violations, passed, failing } = await runAxe(page);
    const entry = { page: kind, lang, path: pathOf(page), passed, violations: violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.targets })), failing };
    report.push(entry);
    result.axe.push(entry);
    await screenshot(page, env, 'pages', `${kind}-${lang}`);
    if (violations.length) entry.detail = describeViolations(violations);
  };
  const signedIn = async (account, home, visits) => {
    const { page, context } = await openPage(browser, env);
    await signIn(page, env, account, home);
    for (const lang of LANGS) {
      await chooseLanguage(page, lang);
      for (const [kind, where] of visits) {
        await visit(page, env, typeof where === 'function' ? await where(page) : where);
        await runOn(page, kind, lang);
      }
    }
    await context.close();
  };

  // Signed out.
  {
    const { page, context } = await openPage(browser, env);
    // axe itself: a field without a label, put in by hand, must be found.
    await visit(page, env, '/login');
    await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text" name="canary">'));
    const canary = await runAxe(page);
    check(canary.violations.some((v) => v.id === 'label' && v.targets.some((t) => t.includes('canary'))), `axe missed an unlabelled field: ${JSON.stringify(canary.violations)}`);
    for (const lang of LANGS) {
      await visit(page, env, `/language?set=${lang}&back=/login`);
      checkEqual(await page.locator('html').getAttribute('lang'), lang, `the sign-in page in ${lang}`);
      await runOn(page, 'login', lang);
    }
    await visit(page, env, '/no/such/page');
    await runOn(page, '404', 'fi+sv+en');
    await context.close();
  }
  const inReview = env.xss.find((x) => x.state === 'needs_review').reference;
  await signedIn(env.accounts.clerk, '/dashboard', [
    ['dashboard', '/dashboard'],
    ['queue', '/review'],
    ['request-in-review', `/requests/${inReview}`],
    ['request-closed', `/requests/${env.refs.to_queue}`],
  ]);
  {
    const { page, context } = await openPage(browser, env);
    await signIn(page, env, env.accounts.clerk, '/dashboard');
    await visit(page, env, '/users');
    await runOn(page, '403', 'fi+sv+en');
    await context.close();
  }
  await signedIn(env.accounts.helsinki, '/pickup', [['pickup', '/pickup']]);
  await signedIn(env.accounts.espoo, '/pickup', [['pickup-empty', '/pickup']]);
  await signedIn(env.accounts.admin, '/users', [['users', '/users']]);

  const lines = report.map((r) => {
    const counts = {};
    for (const v of r.violations) counts[v.impact] = (counts[v.impact] ?? 0) + 1;
    const c = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'no violations';
    return `${r.page.padEnd(18)} ${r.lang.padEnd(9)} ${String(r.passed).padStart(2)} rules passed, ${c}${r.detail ? `\n      ${r.detail}` : ''}`;
  });
  const failing = report.filter((r) => r.failing > 0);
  check(
    failing.length === 0,
    `axe-core ${AXE_VERSION}: serious or critical violations on ${failing.length} of ${report.length} pages:\n    ${lines.join('\n    ')}`,
  );
  return `axe-core ${AXE_VERSION} on ${report.length} pages, none serious or critical:\n    ${lines.join('\n    ')}`;
}

// ---------------------------------------------------------------------------------------

const STEPS = [
  ['signed out', signedOut],
  ['clerk', clerk],
  ['Helsinki staff', helsinki],
  ['Espoo staff', espoo],
  ['administrator', admin],
  ['hostile corpus', hostile],
  ['accessibility', accessibility],
];

const started = Date.now();
const browser = await chromium.launch({ executablePath: env.chromium, headless: true, args: CHROMIUM_ARGS });
console.log(`browser: ${browser.version()} (${env.chromium}); server ${env.base}`);
let failed = 0;
for (const [name, step] of STEPS) {
  const t0 = Date.now();
  try {
    const note = await step(browser);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`ok    ${name} (${seconds} s)${note ? `: ${note}` : ''}`);
    result.steps.push({ name, ok: true, seconds: Number(seconds) });
  } catch (e) {
    failed += 1;
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`FAIL  ${name} (${seconds} s): ${e instanceof Error ? e.message : e}`);
    if (!(e?.constructor?.name === 'CheckFailed')) console.log(e?.stack ?? '');
    result.steps.push({ name, ok: false, seconds: Number(seconds), error: String(e?.message ?? e) });
  }
}
await browser.close();
result.pages_checked = pagesSeen.size + result.hostile_pages + result.axe.length;
const seconds = ((Date.now() - started) / 1000).toFixed(1);
writeFileSync(path.join(env.artifacts, 'result.json'), JSON.stringify(result, null, 2));
console.log(
  `${STEPS.length - failed} passed, ${failed} failed; ${result.pages_checked} page views checked ` +
    `(${result.hostile_pages} hostile request pages, ${result.axe.length} axe runs) in ${seconds} s; artefacts in ${env.artifacts}`,
);
process.exit(failed ? 1 : 0);
