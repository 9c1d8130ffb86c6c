// Customer journeys and accessibility checks in real headless Chromium against a
// running local stack (started by infra/browser-test.sh, which passes PORTAL_URL,
// STACK_ENV_FILE and PORTALCTL). Tests run in file order and share one stack:
// the journey creates TKT-0001, and the rate-limit test, which spends the rest
// of this client's hourly submissions, runs last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const BASE = (process.env.PORTAL_URL || 'http://127.0.0.1:3000').replace(/\/$/, '');
// The demo host page: another origin, embedding the demo workspace's widget.
const DEMO = (process.env.DEMO_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = resolve(repo, process.env.SCREENSHOT_DIR || 'artifacts/screenshots');
const PORTALCTL = resolve(repo, process.env.PORTALCTL || 'target/debug/portalctl');
const STACK_ENV_FILE = resolve(repo, process.env.STACK_ENV_FILE || 'target/browser-stack.env');
const AXE_SOURCE = readFileSync(join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');

const FORM = '/portal/demo/submit';
const TRACK = '/portal/demo/tickets/TKT-0001';
const CUSTOMER = { name: 'Ada Lovelace', email: 'ada@example.com' };
// A hung page fails its test instead of stalling the whole run.
const LIMIT = { timeout: 60_000 };
// Seeding 55 comments runs portalctl 55 times, one after another (their order matters).
const SEEDING_LIMIT = { timeout: 120_000 };

let browser;
let profileDir;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'portal-chromium-'));
  // launchPersistentContext would tie every test to one context; launch() with a
  // fresh profile per run keeps contexts separate (cookies, JS on/off).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
    env: { ...process.env, HOME: profileDir },
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

/** A fresh context (own cookies and cache) and page that records console errors. */
async function openPage({ javaScriptEnabled = true, width = 1280 } = {}) {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width, height: 900 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.problems = [];
  page.javaScriptOff = !javaScriptEnabled;
  // A refused style (a CSP hash that no longer matches) shows up as a console
  // error; a missing subresource as a failed response. The page's own status
  // (404, 410, 429 pages) is checked by each test instead.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  page.on('requestfailed', (r) => page.problems.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.request().isNavigationRequest()) page.problems.push(`${r.url()}: ${r.status()}`);
  });
  return { context, page };
}

async function go(page, path, expectedStatus = 200) {
  const response = await page.goto(BASE + path);
  assert.equal(response.status(), expectedStatus, `GET ${path}`);
  return response;
}

/** Waits for the navigation a click or key press starts and checks its status. */
async function navigates(page, action, expectedStatus = 200) {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  assert.equal(response.status(), expectedStatus, `navigation to ${page.url()}`);
  return response;
}

/**
 * Every page visited goes through here: axe-core (no serious or critical
 * violation), no console errors (a CSP-refused stylesheet would be one), no
 * horizontal scrolling at 320 px, and screenshots at 375 and 1280 px.
 */
/** axe-core's violations on the page as it is now. With JavaScript off, axe's
 * timers never fire and a long page never finishes: it is checked as a copy of
 * the same document in a context of its own. */
async function axeViolations(page) {
  let target = page;
  let scratch;
  if (page.javaScriptOff) {
    scratch = await browser.newContext({ viewport: page.viewportSize() });
    target = await scratch.newPage();
    await target.setContent(await page.content());
  }
  try {
    await target.evaluate(AXE_SOURCE);
    const { violations } = await target.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    return violations;
  } finally {
    await scratch?.close();
  }
}

async function checkPage(page, name, t) {
  // The page's CSP allows no script at all; evaluate() runs through the DevTools
  // protocol, which CSP does not govern, so the page is checked as served.
  const violations = await axeViolations(page);
  const describe = (v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`;
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations.filter((v) => !blocking.includes(v))) t?.diagnostic(`${name}: ${describe(v)}`);
  assert.deepEqual(blocking.map(describe), [], `${name}: accessibility violations`);

  assert.deepEqual(page.problems, [], `${name}: console errors or failed requests`);

  const original = page.viewportSize();
  for (const width of [320, 375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name}: scrolls sideways by ${overflow}px at ${width}px wide`);
    if (width !== 320) await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

function portalctl(...args) {
  // portalctl reads the stack's coordinates from the environment when
  // PORTAL_TABLE is set, so a developer's .portal-local.env is never used.
  const env = { ...process.env };
  for (const line of readFileSync(STACK_ENV_FILE, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2].trim();
  }
  return execFileSync(PORTALCTL, args, { env, cwd: repo, encoding: 'utf8', timeout: 30_000 });
}

/** Polls the dev mailbox until an email matching `predicate` arrives. */
async function waitForMail(predicate, what) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mail = await (await fetch(`${BASE}/_dev/mail.json`)).json();
    const found = mail.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} email after 20 s; mailbox has: ${mail.map((m) => m.subject).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The focused element (id, name or class), whether it shows a focus ring at
 * least 2px wide, and that ring's contrast against what is behind it (WCAG
 * 2.2 asks 3:1 of a focus indicator).
 */
async function focused(page) {
  return page.evaluate(() => {
    // Into the widget's shadow root, where its own focus lives.
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const style = getComputedStyle(el);
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => {
      const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    // The ring sits outside the element (outline-offset), so it is seen
    // against the first opaque background among the ancestors.
    let behind = [255, 255, 255];
    for (let a = el.parentElement || el.getRootNode().host; a; a = a.parentElement || a.getRootNode().host) {
      const c = rgb(getComputedStyle(a).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { behind = c.slice(0, 3); break; }
    }
    const [l1, l2] = [luminance(rgb(style.outlineColor)), luminance(behind)].sort((a, b) => b - a);
    const r = el.getBoundingClientRect();
    return {
      id: el.id || el.getAttribute('name') || el.className || el.tagName.toLowerCase(),
      ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      ringContrast: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
      onScreen: r.right > 0 && r.bottom > 0 && r.width > 0 && r.left < innerWidth && r.top < innerHeight,
    };
  });
}

function assertFocusVisible(f, what) {
  assert.ok(f.ring, `${what} shows a focus ring`);
  assert.ok(f.ringContrast >= 3, `${what}: the focus ring's contrast is ${f.ringContrast}:1, under 3:1`);
  assert.ok(f.onScreen, `${what} is on screen when focused`);
}

async function fieldError(page, field) {
  const id = await page.getAttribute(`#${field}`, 'aria-describedby');
  assert.ok(id?.split(' ').includes(`${field}-error`), `#${field} is described by its error`);
  assert.equal(await page.getAttribute(`#${field}`, 'aria-invalid'), 'true');
  return (await page.textContent(`#${field}-error`)).trim();
}

test('journey: submit with an error, fix it, track, reply, agent resolves, customer rates', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await go(page, FORM);
    assert.equal(await page.textContent('h1'), 'Submit a support request');
    await checkPage(page, 'form', t);

    // A bad email: everything typed comes back, with the error next to the field.
    await page.fill('#name', CUSTOMER.name);
    await page.fill('#email', 'ada-at-example.com');
    await page.fill('#subject', 'Printer <b>jams</b> on page 2');
    await page.fill('#description', 'It happens every time.\nSecond line.');
    await page.selectOption('#type', { label: 'Bug Report' });
    await navigates(page, () => page.click('button[type=submit]'), 422);
    assert.equal(await page.inputValue('#name'), CUSTOMER.name);
    assert.equal(await page.inputValue('#email'), 'ada-at-example.com');
    assert.equal(await page.inputValue('#subject'), 'Printer <b>jams</b> on page 2');
    assert.equal(await page.inputValue('#description'), 'It happens every time.\nSecond line.');
    assert.equal(await page.$eval('#type', (s) => s.selectedOptions[0].textContent), 'Bug Report');
    assert.match(await fieldError(page, 'email'), /email/i);
    assert.equal(await page.$('#name-error'), null, 'no error on a valid field');
    assert.match(await page.textContent('.summary'), /Please check the form/);
    // The summary links to the field.
    assert.equal(await page.getAttribute('.summary a', 'href'), '#email');
    await checkPage(page, 'form-errors', t);

    await page.fill('#email', CUSTOMER.email);
    await navigates(page, () => page.click('button[type=submit]'));
    assert.equal((await page.textContent('.reference')).trim(), 'TKT-0001');
    await checkPage(page, 'confirmation', t);

    // Track Ticket → email prompt → ticket view.
    await navigates(page, () => page.getByRole('link', { name: 'Track Ticket' }).click());
    assert.equal(new URL(page.url()).pathname, TRACK);
    assert.match(await page.textContent('h1'), /TKT-0001/);
    await checkPage(page, 'track-prompt', t);

    await page.fill('#email', '  ADA@example.com ');
    await navigates(page, () => page.getByRole('button', { name: 'View ticket' }).click());
    assert.equal(await page.textContent('h1'), 'Printer <b>jams</b> on page 2', 'subject shown as text, escaped');
    assert.equal((await page.textContent('.badge')).trim(), 'Open');
    assert.match(await page.textContent('ol.conversation'), /It happens every time\./);
    await checkPage(page, 'ticket', t);

    // Reply, and see it in the conversation.
    await page.fill('#message', 'It also happens on page 3.');
    await navigates(page, () => page.getByRole('button', { name: 'Send reply' }).click());
    const conversation = page.locator('ol.conversation li');
    await assert.doesNotReject(conversation.filter({ hasText: 'It also happens on page 3.' }).first().waitFor());
    assert.match(await conversation.last().textContent(), /\(you\)/);
    assert.equal(await page.inputValue('#message'), '', 'reply box is empty again');
    await checkPage(page, 'ticket-replied', t);

    // The agent resolves it from the command line (once the worker has assigned
    // it: resolving needs an agent); the worker then emails the survey.
    const deadline = Date.now() + 20_000;
    while (!JSON.parse(portalctl('--json', 'ticket', 'show', 'demo', 'TKT-0001')).assignee) {
      assert.ok(Date.now() < deadline, 'the worker assigned TKT-0001 within 20 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    portalctl('ticket', 'comment', 'demo', 'TKT-0001', '--body', 'Found it: the fuser is worn.');
    portalctl('ticket', 'comment', 'demo', 'TKT-0001', '--body', 'INTERNAL: warranty expired', '--internal');
    portalctl('ticket', 'resolve', 'demo', 'TKT-0001', '--resolution', 'Replaced the fuser unit.');
    await waitForMail((m) => m.to.includes(CUSTOMER.email) && m.html.includes('Rate Your Experience'), 'Rate Your Experience');

    // The customer opens the mailbox and follows the link in the email.
    await go(page, '/_dev/mail');
    const email = page.frameLocator('iframe[title*="resolved"]').first();
    const link = email.getByRole('link', { name: 'Rate Your Experience' });
    const href = await link.getAttribute('href');
    assert.match(href, new RegExp(`^${BASE}/portal/demo/csat/[0-9a-f]{64}$`));
    // The mailbox shows each email in a sandboxed iframe, where a click opens the
    // link inside the frame and the survey page refuses to be framed
    // (frame-ancestors 'none'); so open the link as a mail client would: in the
    // whole window.
    await go(page, new URL(href).pathname);
    assert.equal(await page.textContent('h1'), 'How did we do?');
    assert.match(await page.textContent('.lede'), /TKT-0001/);
    await checkPage(page, 'survey', t);

    // Rated with the keyboard: Tab into the star group, arrows to 4, Tab to the
    // comment, Tab to the button, Enter.
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab');
    let f = await focused(page);
    assert.equal(f.id, 'rating');
    assertFocusVisible(f, 'the first star');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    assert.ok(await page.getByLabel('4 stars: good').isChecked(), 'arrow keys move the rating to 4');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'comment');
    await page.keyboard.type('Quick and friendly.');
    await page.keyboard.press('Tab');
    f = await focused(page);
    assertFocusVisible(f, 'Send rating');
    await checkPage(page, 'survey-filled', t);
    await navigates(page, () => page.keyboard.press('Enter'));
    assert.equal(await page.textContent('h1'), 'Thank you for your feedback');
    assert.match(await page.textContent('main'), /You rated TKT-0001 4 out of 5/);
    await checkPage(page, 'thank-you', t);

    // The ticket now shows the resolution; the agent sees the rating.
    await go(page, TRACK);
    await page.fill('#email', CUSTOMER.email);
    await navigates(page, () => page.getByRole('button', { name: 'View ticket' }).click());
    assert.equal((await page.textContent('.badge')).trim(), 'Resolved');
    assert.match(await page.textContent('main'), /Replaced the fuser unit\./);
    assert.match(await page.textContent('ol.conversation li.agent'), /\(support\)[\s\S]*Found it: the fuser is worn\./);
    assert.doesNotMatch(await page.content(), /INTERNAL|warranty/, 'internal notes never reach the customer');
    await checkPage(page, 'ticket-resolved', t);
    assert.equal(JSON.parse(portalctl('--json', 'ticket', 'show', 'demo', 'TKT-0001')).rating?.stars, 4);

    // The same link cannot be used twice.
    await go(page, new URL(href).pathname, 409);
    assert.match(await page.textContent('main'), /rated already/);
  } finally {
    await context.close();
  }
});

/** The first private link (path and query) in an email's HTML part. */
function privateLink(mail) {
  const m = mail.html.match(/\/portal\/demo\/access\/[0-9a-f]{64}(\?ticket=TKT-\d{4,})?/);
  assert.ok(m, `a private link in "${mail.subject}"`);
  return m[0];
}

test('the confirmation email\'s private link opens the ticket, and a reply needs nothing typed', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await waitForMail((m) => m.to.includes(CUSTOMER.email) && m.subject.includes('[TKT-0001]'), 'confirmation');
    await go(page, '/_dev/mail');
    const email = page.frameLocator('iframe[title="Email: We received your request [TKT-0001]"]');
    const href = await email.getByRole('link', { name: 'Open your ticket' }).getAttribute('href');
    assert.match(href, new RegExp(`^${BASE}/portal/demo/access/[0-9a-f]{64}\\?ticket=TKT-0001$`));
    // As with the survey link: opened in the whole window, as a mail client would.
    const url = new URL(href);
    await go(page, url.pathname + url.search);
    assert.equal(await page.textContent('h1'), 'Printer <b>jams</b> on page 2');
    assert.equal(await page.$('#email'), null, 'no email to type');
    await checkPage(page, 'ticket-by-link', t);

    await page.fill('#message', 'Replying from the link in my email.');
    await navigates(page, () => page.getByRole('button', { name: 'Send reply' }).click());
    assert.match(await page.textContent('ol.conversation'), /Replying from the link in my email\./);
    assert.match(await page.textContent('.notice'), /reply was added/);

    // The session opens the tracking page too, without the prompt.
    await go(page, TRACK);
    assert.equal(await page.textContent('h1'), 'Printer <b>jams</b> on page 2');
    const cookie = (await context.cookies()).find((c) => c.name === 'portal_session');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Lax' && cookie.path === '/portal/demo', JSON.stringify(cookie));
  } finally {
    await context.close();
  }
});

test('My tickets, reached from the tracking page\'s "email me a link" form', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    // A second ticket of the same address.
    await go(page, FORM);
    await page.fill('#name', CUSTOMER.name);
    await page.fill('#email', CUSTOMER.email);
    await page.fill('#subject', 'The scanner too');
    await navigates(page, () => page.click('button[type=submit]'));
    const second = (await page.textContent('.reference')).trim();

    await go(page, TRACK);
    await page.fill('#access-email', CUSTOMER.email);
    await navigates(page, () => page.getByRole('button', { name: 'Email me a link to my tickets' }).click());
    assert.equal(await page.textContent('h1'), 'Check your email');
    assert.match(await page.textContent('main'), /If that address has tickets here, a link is on its way/);
    await checkPage(page, 'access-sent', t);

    const mail = await waitForMail((m) => m.to.includes(CUSTOMER.email) && m.subject === 'Your link to your tickets', 'access link');
    await go(page, privateLink(mail));
    assert.equal(await page.textContent('h1'), 'My tickets');
    const listed = await page.locator('ul.tickets li a').allTextContents();
    assert.ok(listed[0].startsWith(second) && listed.some((l) => l.startsWith('TKT-0001')), `newest first: ${listed}`);
    await checkPage(page, 'my-tickets', t);
    await navigates(page, () => page.getByRole('link', { name: /^TKT-0001/ }).click());
    assert.equal(await page.textContent('h1'), 'Printer <b>jams</b> on page 2');
  } finally {
    await context.close();
  }
});

test('an expired or forged access link shows the link-expired page with a new-link form', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await go(page, `/portal/demo/access/${randomBytes(32).toString('hex')}`, 410);
    assert.equal(await page.textContent('h1'), 'This link has expired');
    assert.ok(await page.isVisible('#email'));
    await checkPage(page, 'access-link-expired', t);
  } finally {
    await context.close();
  }
});

test('Submit Another leads to an empty form that files the next ticket', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await go(page, FORM);
    await page.fill('#name', 'Grace Hopper');
    await page.fill('#email', 'grace@example.com');
    await page.fill('#subject', 'First of two');
    await navigates(page, () => page.click('button[type=submit]'));
    const first = (await page.textContent('.reference')).trim();

    await navigates(page, () => page.getByRole('link', { name: 'Submit Another' }).click());
    assert.equal(new URL(page.url()).pathname, FORM);
    for (const field of ['#name', '#email', '#subject', '#description']) assert.equal(await page.inputValue(field), '', field);
    await page.fill('#name', 'Grace Hopper');
    await page.fill('#email', 'grace@example.com');
    await page.fill('#subject', 'Second of two');
    await navigates(page, () => page.click('button[type=submit]'));
    const second = (await page.textContent('.reference')).trim();
    assert.match(first, /^TKT-\d{4,}$/);
    assert.equal(Number(second.slice(4)), Number(first.slice(4)) + 1, `${first} then ${second}`);
  } finally {
    await context.close();
  }
});

test('the form can be filled in and sent with the keyboard alone, focus always visible', LIMIT, async (t) => {
  const { context, page } = await openPage({ width: 375 });
  try {
    await go(page, FORM);
    const steps = [];
    const tab = async () => { await page.keyboard.press('Tab'); const f = await focused(page); steps.push(f.id); return f; };

    // First stop: the skip link, which appears when focused and leads to the form.
    let f = await tab();
    assert.equal(f.id, 'skip');
    assertFocusVisible(f, 'the skip link');
    await checkPage(page, 'form-skip-link-focused', t);
    await page.keyboard.press('Enter');
    // The jump is a same-document navigation: wait for it rather than race it.
    await page.waitForFunction(() => location.hash === '#main', null, { timeout: 5000 }).catch(() => {});
    assert.equal(new URL(page.url()).hash, '#main');

    for (const [id, text] of [['name', 'Alan Turing'], ['email', 'alan@example.com'], ['subject', 'Keyboard only'], ['description', 'Typed without a mouse.']]) {
      f = await tab();
      assert.equal(f.id, id, `Tab order so far: ${steps.join(' → ')}`);
      assertFocusVisible(f, `#${id}`);
      await page.keyboard.type(text);
    }
    f = await tab();
    assert.equal(f.id, 'type');
    assertFocusVisible(f, '#type');
    await page.keyboard.press('ArrowDown'); // Support Request → General Inquiry
    assert.equal(await page.$eval('#type', (s) => s.selectedOptions[0].textContent), 'General Inquiry');

    f = await tab();
    assert.match(f.id, /primary/, `the submit button comes next (Tab order: ${steps.join(' → ')})`);
    assertFocusVisible(f, 'the submit button');
    await checkPage(page, 'form-keyboard-focus', t);
    await navigates(page, () => page.keyboard.press('Enter'));
    assert.match((await page.textContent('.reference')).trim(), /^TKT-\d{4,}$/);

    // Enter in a text field submits too (implicit submission), and errors are reachable.
    await go(page, FORM);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'name');
    await page.keyboard.type('Alan Turing');
    await navigates(page, () => page.keyboard.press('Enter'), 422);
    assert.equal(await page.inputValue('#name'), 'Alan Turing');
    await fieldError(page, 'email');
    await fieldError(page, 'subject');
  } finally {
    await context.close();
  }
});

test('pages work with JavaScript turned off', LIMIT, async (t) => {
  const { context, page } = await openPage({ javaScriptEnabled: false });
  try {
    await go(page, FORM);
    await page.fill('#name', 'No Script');
    await page.fill('#email', 'noscript@example.com');
    await page.fill('#subject', 'Sent without JavaScript');
    await navigates(page, () => page.click('button[type=submit]'));
    const reference = (await page.textContent('.reference')).trim();
    await navigates(page, () => page.getByRole('link', { name: 'Track Ticket' }).click());
    await page.fill('#email', 'noscript@example.com');
    await navigates(page, () => page.getByRole('button', { name: 'View ticket' }).click());
    assert.match(await page.textContent('.lede'), new RegExp(reference));
    await page.fill('#message', 'Still no JavaScript.');
    await navigates(page, () => page.getByRole('button', { name: 'Send reply' }).click());
    assert.match(await page.textContent('ol.conversation'), /Still no JavaScript\./);
  } finally {
    await context.close();
  }
});

test('"Older messages" pages back through a long conversation with JavaScript off', SEEDING_LIMIT, async (t) => {
  const { context, page } = await openPage({ javaScriptEnabled: false });
  try {
    await go(page, FORM);
    await page.fill('#name', 'Paige Turner');
    await page.fill('#email', 'paige@example.com');
    await page.fill('#subject', 'A long conversation');
    await page.fill('#description', 'Where it all began.');
    await navigates(page, () => page.click('button[type=submit]'));
    const reference = (await page.textContent('.reference')).trim();
    for (let i = 0; i < 52; i++) {
      portalctl('ticket', 'comment', 'demo', reference, '--as', 'alex', '--body', `Message ${i}`);
      if (i % 20 === 0) portalctl('ticket', 'comment', 'demo', reference, '--as', 'alex', '--internal', '--body', `INTERNAL ${i}`);
    }
    await go(page, `/portal/demo/tickets/${reference}`);
    await page.fill('#email', 'paige@example.com');
    await navigates(page, () => page.getByRole('button', { name: 'View ticket' }).click());
    const newest = page.locator('ol.conversation li');
    assert.equal(await newest.count(), 50, 'the newest fifty');
    assert.match(await newest.last().textContent(), /Message 51/);
    assert.doesNotMatch(await page.textContent('ol.conversation'), /Message 1\b|Where it all began/);
    await checkPage(page, 'ticket-newest-page', t);

    await navigates(page, () => page.getByRole('button', { name: 'Older messages' }).click());
    const older = await page.innerText('ol.conversation');
    assert.match(older, /Where it all began\.[\s\S]*Message 0\b[\s\S]*Message 1\b/);
    assert.doesNotMatch(older, /Message 2\b/);
    assert.doesNotMatch(await page.content(), /INTERNAL/, 'internal notes never reach the customer');
    await checkPage(page, 'ticket-older-page', t);
    await navigates(page, () => page.getByRole('button', { name: 'Newest messages' }).click());
    assert.match(await newest.last().textContent(), /Message 51/);
  } finally {
    await context.close();
  }
});

test('a wrong email on tracking shows the not-found prompt again', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await go(page, TRACK);
    await page.fill('#email', 'someone-else@example.com');
    await navigates(page, () => page.getByRole('button', { name: 'View ticket' }).click(), 404);
    assert.match(await page.textContent('[role=alert]'), /\S/);
    assert.ok(await page.isVisible('#email'), 'the prompt is shown again');
    assert.match(await fieldError(page, 'email'), /could not find/i);
    assert.doesNotMatch(await page.content(), /Printer|Ada|fuser/, 'nothing of the ticket leaks');
    await checkPage(page, 'track-not-found', t);
  } finally {
    await context.close();
  }
});

test('an unknown or expired survey link shows the expired page', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    await go(page, `/portal/demo/csat/${randomBytes(32).toString('hex')}`, 410);
    assert.equal(await page.textContent('h1'), 'This link has expired');
    await checkPage(page, 'link-expired', t);
  } finally {
    await context.close();
  }
});

test('the widget on another site: opened and sent with the keyboard, reference shown', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    const response = await page.goto(DEMO + '/');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /style-src 'sha256-/, 'the host page forbids inline styles');
    // Playwright's CSS locators reach into open shadow roots.
    const w = (selector) => page.locator(`portal-support-widget ${selector}`);
    const launcher = w('button.launcher');
    await launcher.waitFor();
    // The host page's loud styles (20px serif, a global !important button rule) stay outside.
    const look = await launcher.evaluate((el) => {
      const s = getComputedStyle(el);
      return { size: s.fontSize, family: s.fontFamily, bg: s.backgroundColor, spacing: s.letterSpacing };
    });
    assert.equal(look.size, '16px', JSON.stringify(look));
    assert.equal(look.bg, 'rgb(29, 78, 216)', JSON.stringify(look));
    assert.equal(look.spacing, 'normal', JSON.stringify(look));
    assert.doesNotMatch(look.family, /Georgia/);

    // Tab through the host page to the Support button.
    let f;
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      f = await focused(page);
      if (/launcher/.test(f.id)) break;
    }
    assert.match(f.id, /launcher/, 'the Support button is reachable with Tab');
    assertFocusVisible(f, 'the Support button');
    const isOpen = () => w('dialog').evaluate((d) => d.open);
    await page.keyboard.press('Enter');
    assert.ok(await isOpen(), 'Enter opens the dialog');
    assert.equal((await focused(page)).id, 'f-name', 'focus moves into the dialog, to the first field');
    const labelledBy = await w('dialog').getAttribute('aria-labelledby');
    assert.equal(await w(`#${labelledBy}`).textContent(), 'Demo Workspace support', 'the dialog is labelled');

    // Escape closes it and gives focus back to the button; Enter opens it again.
    await page.keyboard.press('Escape');
    assert.equal(await isOpen(), false, 'Escape closes the dialog');
    assert.match((await focused(page)).id, /launcher/, 'focus returns to the Support button');
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).id, 'f-name');

    // The dialog passes axe (inside the shadow root), and so does the page around it.
    await page.evaluate(AXE_SOURCE);
    const { violations } = await page.evaluate(() => window.axe.run(
      { include: [{ fromShadowDom: ['portal-support-widget', 'dialog'] }] }, { resultTypes: ['violations'] }));
    assert.deepEqual(violations.map((v) => `${v.impact} ${v.id}: ${v.help}`), [], 'axe inside the dialog');
    await checkPage(page, 'widget-open', t);

    // Fill it in with the keyboard, leaving the subject out first: the field
    // error comes back from the same rules as the form, and focus goes to it.
    await page.keyboard.type('Willa Widget');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'f-email');
    await page.keyboard.type('willa@example.com');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'f-subject');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('portal-support-widget').shadowRoot
      .getElementById('f-subject').getAttribute('aria-invalid') === 'true');
    assert.equal((await focused(page)).id, 'f-subject', 'focus moves to the field to fix');
    assert.match(await w('#f-subject-error').textContent(), /\S/);
    assert.match(await w('#f-subject').getAttribute('aria-describedby'), /f-subject-error/);
    assert.equal(await w('#f-name').inputValue(), 'Willa Widget', 'what was typed is kept');
    // That 422 was the point; any other failed request still counts.
    page.problems = page.problems.filter((p) => !/\/api\/portal\/demo\/tickets: 422$/.test(p));
    await page.keyboard.type('Sent from the widget');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Typed on another site.');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'f-type');
    await page.keyboard.press('ArrowDown'); // Support Request → General Inquiry
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.match(f.id, /primary/, 'the submit button comes next');
    assertFocusVisible(f, 'Submit ticket');
    // Focus is trapped: Tab from the last stop wraps to the first (Close), Shift+Tab back.
    await page.keyboard.press('Tab');
    assert.match((await focused(page)).id, /close/, 'Tab wraps inside the dialog');
    await page.keyboard.press('Shift+Tab');
    assert.match((await focused(page)).id, /primary/, 'Shift+Tab wraps back');
    await page.keyboard.press('Enter');

    // The reference, with a link to the tracking page.
    const ref = w('.ref');
    await page.waitForFunction(() => /TKT-\d{4,}/.test(
      document.querySelector('portal-support-widget').shadowRoot.querySelector('.ref').textContent));
    const reference = (await ref.textContent()).trim();
    const track = w('a.button');
    assert.equal((await track.textContent()).trim(), 'Track Ticket');
    assert.equal(await track.getAttribute('href'), `${BASE}/portal/demo/tickets/${reference}`);
    assert.equal((await focused(page)).id, 'h3', 'focus moves to the confirmation heading');
    await checkPage(page, 'widget-sent', t);
    const ticket = JSON.parse(portalctl('--json', 'ticket', 'show', 'demo', reference));
    assert.equal(ticket.subject, 'Sent from the widget');
    assert.equal(ticket.type, 'General Inquiry');
    assert.equal(ticket.email, 'willa@example.com');
  } finally {
    await context.close();
  }
});

// Last: this spends the rest of 127.0.0.1's submissions for the hour.
test('over the hourly limit, the form answers 429 with a friendly page', LIMIT, async (t) => {
  const { context, page } = await openPage();
  try {
    let response;
    for (let i = 0; i < 12; i++) {
      await go(page, FORM);
      await page.fill('#name', 'Busy Bee');
      await page.fill('#email', 'bee@example.com');
      await page.fill('#subject', `Request ${i + 1}`);
      [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      if (response.status() === 429) break;
      assert.equal(response.status(), 200);
    }
    assert.equal(response.status(), 429, 'the limit was reached within 12 submissions');
    assert.ok(Number(response.headers()['retry-after']) > 0, 'Retry-After is set');
    assert.equal(await page.textContent('h1'), 'Please try again later');
    await checkPage(page, 'rate-limited', t);
  } finally {
    await context.close();
  }
});
