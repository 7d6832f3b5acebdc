// The hostile corpus in the browser: every request page of a hostile message must run nothing,
// load nothing but the page and its style sheet, navigate nowhere, contain no markup that came
// from the message, and show each payload as text. The CSP stays in force (never bypassed),
// so the page's DOM is inspected as well: markup that the CSP merely stopped is a failure too.

import { check, checkEqual, checkQuiet, navigate, screenshot, visit } from './lib.mjs';

/**
 * What in the DOM did not come from the interface's own markup: elements that the pages
 * never use, event-handler and other active attributes, links, forms and resources that are
 * not root-relative paths of this server. Runs in the page.
 */
function inspectDom(reference) {
  const problems = [];
  const forbidden =
    'script, iframe, frame, frameset, object, embed, applet, base, meta[http-equiv], img, image, ' +
    'video, audio, source, track, picture, svg, math, style, template, noscript, xmp, plaintext, ' +
    'isindex, marquee, portal, dialog, canvas, x, link:not([rel="stylesheet"])';
  for (const el of document.querySelectorAll(forbidden)) problems.push(`element <${el.localName}>: ${el.outerHTML.slice(0, 120)}`);
  const sheets = [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.getAttribute('href'));
  if (sheets.length !== 1 || sheets[0] !== '/style.css') problems.push(`style sheets: ${JSON.stringify(sheets)}`);
  const active = new Set(['style', 'srcdoc', 'contenteditable', 'autofocus', 'formaction', 'background', 'xlink:href', 'ping', 'target', 'http-equiv', 'srcset', 'poster', 'data']);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on') || active.has(name)) problems.push(`attribute ${name}="${attr.value.slice(0, 80)}" on <${el.localName}>`);
    }
  }
  for (const el of document.querySelectorAll('[href], [src], [action]')) {
    for (const name of ['href', 'src', 'action']) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      const local = value === '#main' || (value.startsWith('/') && !value.startsWith('//') && !value.includes('\\'));
      if (!local || new URL(value, location.href).origin !== location.origin) {
        problems.push(`<${el.localName} ${name}="${value.slice(0, 80)}">`);
      }
    }
  }
  const actions = new Set(['/logout', `/requests/${reference}/edit`, `/requests/${reference}/resolve`]);
  for (const form of document.forms) {
    if (!actions.has(form.getAttribute('action'))) problems.push(`form action ${form.getAttribute('action')}`);
  }
  for (const a of document.querySelectorAll('main a[href]')) {
    const href = a.getAttribute('href');
    if (!href.startsWith(`/requests/${reference}/messages/`)) problems.push(`link in main: ${href}`);
    else if (!a.hasAttribute('download')) problems.push(`a message or attachment link that is not a download: ${href}`);
  }
  // A value in a correction field is shown as in the table: no bidi override or embedding,
  // no invisible direction mark, no control character (they would reorder or hide text).
  for (const input of document.querySelectorAll('input, textarea')) {
    const hidden = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.exec(input.value);
    if (hidden) problems.push(`#${input.id || input.name} holds U+${hidden[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}: ${JSON.stringify(input.value.slice(0, 60))}`);
  }
  if (document.querySelectorAll('main').length !== 1) problems.push('not one <main>');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not one <h1>');
  const globals = ['__xss'].filter((g) => g in window || (window.top && g in window.top));
  for (const g of globals) problems.push(`window.${g} = ${JSON.stringify(window[g])}`);
  return {
    problems,
    title: document.title,
    text: document.body.innerText,
    messages: document.querySelectorAll('section.message').length,
  };
}

/**
 * Opens every hostile request page as the signed-in clerk (`page` from `openPage`).
 * Returns { pages, failures } with one line per failed page.
 */
export async function hostilePages(page, events, env) {
  const failures = [];
  let pages = 0;
  await canary(page, events, env, env.xss[0]);
  for (const item of env.xss) {
    const where = `hostile ${item.id} (${item.reference}, ${item.state})`;
    events.reset();
    try {
      const url = `/requests/${item.reference}`;
      const response = await visit(page, env, url);
      checkEqual(response.status(), 200, `${where}: status`);
      // Time for anything that would run late (a refresh, a handler, a lazy load).
      await page.waitForTimeout(120);
      await verifyInert(page, events, env, item, where);
      await screenshot(page, env, 'xss', item.id);
      pages += 1;
    } catch (e) {
      failures.push(e.message);
      await screenshot(page, env, 'xss', `FAILED-${item.id}`).catch(() => {});
    }
  }
  return { pages, failures };
}

/**
 * The detectors themselves: markup put into a request page by hand (as a failure of escaping
 * would put it there) must be reported by each of them, or this test could never fail.
 */
async function canary(page, events, env, item) {
  await visit(page, env, `/requests/${item.reference}`);
  events.reset();
  await page.evaluate(() => {
    document.querySelector('main').insertAdjacentHTML(
      'beforeend',
      '<img src="/canary.png" onerror="window.__xss=999"><a href="javascript:void 0">x</a>',
    );
  });
  await page.waitForTimeout(300);
  const dom = await page.evaluate(inspectDom, item.reference);
  const caught = {
    element: dom.problems.some((p) => p.startsWith('element <img>')),
    handler: dom.problems.some((p) => p.startsWith('attribute onerror')),
    link: dom.problems.some((p) => p.includes('javascript:void 0')),
    request: events.requests.some((r) => r.url.endsWith('/canary.png')),
    csp: events.console.some((m) => m.type === 'error' && /Content Security Policy/i.test(m.text)),
  };
  const missed = Object.entries(caught).filter(([, v]) => !v).map(([k]) => k);
  check(missed.length === 0, `the detectors missed injected markup (${missed.join(', ')}); events: ${JSON.stringify(events.console)}`);
  await visit(page, env, `/requests/${item.reference}`);
}

async function verifyInert(page, events, env, item, where) {
  const url = `/requests/${item.reference}`;
  const problems = [];
  const here = new URL(page.url());
  if (here.pathname !== url) problems.push(`the page moved to ${page.url()}`);
  if (events.navigations.length > 1) problems.push(`navigated ${events.navigations.length} times: ${events.navigations.join(', ')}`);
  if (page.frames().length !== 1) problems.push(`${page.frames().length} frames`);
  const allowed = new Set([env.base + url, env.base + url + new URL(page.url()).search, env.base + '/style.css']);
  for (const r of events.requests) {
    if (!allowed.has(r.url)) problems.push(`requested ${r.method} ${r.url}`);
  }
  const dom = await page.evaluate(inspectDom, item.reference);
  problems.push(...dom.problems);
  if (!dom.title.startsWith('Pyyntö ') || !dom.title.endsWith(' – datareq') || !dom.title.includes(item.reference)) {
    problems.push(`title ${JSON.stringify(dom.title)}`);
  }
  if (dom.messages < 1) problems.push('no message section');
  for (const text of item.expect) {
    if (!dom.text.includes(text)) problems.push(`the payload is not shown as text: ${JSON.stringify(text)}`);
  }
  if (item.clean && dom.text.includes('\uFFFD')) {
    const at = dom.text.indexOf('\uFFFD');
    problems.push(`U+FFFD shown (no control character was sent): …${JSON.stringify(dom.text.slice(Math.max(0, at - 40), at + 10))}`);
  }
  try {
    checkQuiet(events, env, where);
  } catch (e) {
    problems.push(e.message);
  }
  check(problems.length === 0, `${where}:\n    ${problems.join('\n    ')}`);
}

/** Payloads a clerk types into the correction forms (and what the form makes of them). */
const TYPED = [
  ['requested_information', '"><script>window.__xss=201</script>'],
  ['requested_information', "' autofocus onfocus='window.__xss=202"],
  ['surname', '</td></tr></table><img src=x onerror=window.__xss=203>'],
  ['requested_information', '<svg onload=window.__xss=204>'],
  ['treatment_years', '<script>window.__xss=205</script>'],
  ['phone', '"><img src=x onerror=window.__xss=206>'],
  ['surname', 'javascript:window.__xss=207'],
];

/**
 * The correction forms with payloads typed in, on a hostile request in review: saved or
 * refused, the page that follows runs nothing, and a saved value comes back unchanged in the
 * field's input and as text.
 */
export async function typedPayloads(page, events, env) {
  const item = env.xss.find((x) => x.state === 'needs_review');
  check(item, 'a hostile request in review');
  const failures = [];
  let saved = 0;
  let refused = 0;
  for (const [field, value] of TYPED) {
    const where = `typed into ${field} of ${item.reference}: ${value}`;
    try {
      await visit(page, env, `/requests/${item.reference}`);
      events.reset();
      const input = page.locator(`#edit-${field}`);
      await input.fill(value);
      const response = await navigate(page, () => page.locator(`form:has(#edit-${field}) button[type="submit"]`).click());
      await page.waitForTimeout(120);
      const problems = [];
      if (response.status() === 200) {
        saved += 1;
        if (!new URL(page.url()).search.includes('done=1')) problems.push(`saved, but at ${page.url()}`);
        const shownValue = await page.locator(`#edit-${field}`).inputValue();
        if (shownValue !== value) problems.push(`the input holds ${JSON.stringify(shownValue)}`);
        const text = await page.locator('main').innerText();
        if (!text.includes(value)) problems.push('the saved value is not shown as text');
      } else if (response.status() === 422) {
        refused += 1;
        const problem = await page.locator('.problem[role="alert"]').innerText();
        if (!problem) problems.push('refused without a reason');
      } else {
        problems.push(`status ${response.status()}`);
      }
      const dom = await page.evaluate(inspectDom, item.reference);
      problems.push(...dom.problems);
      try {
        checkQuiet(events, env, where, [`/requests/${item.reference}/edit`]);
      } catch (e) {
        problems.push(e.message);
      }
      check(problems.length === 0, `${where}:\n    ${problems.join('\n    ')}`);
    } catch (e) {
      failures.push(e.message);
    }
  }
  await screenshot(page, env, 'xss', `typed-${item.id}`);
  return { typed: TYPED.length, saved, refused, failures, reference: item.reference };
}
