/// <reference lib="dom" />
import { test, expect } from './support/studio';

/**
 * The runtime half of Electron's checklist (the static half is tests/unit/security). Runs in the
 * `electron` project wherever an Electron binary exists; in Chromium it checks what the web door
 * guarantees (no Node in the page, strict CSP, no foreign navigation of the API).
 */
test('the renderer has no Node, no eval, and cannot reach other origins', async ({ studio }) => {
  const page = studio.page;
  await expect(page.getByRole('navigation')).toBeVisible();
  const probe = await page.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>;
    // An injected inline script must not run (script-src 'self'). (DevTools-protocol evaluation itself
    // is exempt from CSP, so eval is checked on the policy header below rather than from here.)
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    const inlineBlocked = w.__inlineRan !== true;
    let foreignFetch = 'allowed';
    try {
      await fetch('https://example.com/', { mode: 'no-cors' });
    } catch {
      foreignFetch = 'blocked';
    }
    const popup = window.open('https://example.com/');
    return { require: typeof w.require, process: typeof w.process, module: typeof w.module, inlineBlocked, foreignFetch, popup: popup === null };
  });
  expect(probe).toMatchObject({ require: 'undefined', process: 'undefined', module: 'undefined', inlineBlocked: true, foreignFetch: 'blocked' });
  if (studio.door === 'web') {
    const res = await page.request.get(page.url());
    const csp = res.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
  }
  if (studio.door === 'electron') {
    expect(probe.popup).toBe(true);
    const permission = await page.evaluate(() => Notification.requestPermission());
    expect(permission).toBe('denied');
    const before = page.url();
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
  }
});
