// axe-core in the page under test. The pages' CSP allows no script at all, so axe's source is
// evaluated through the DevTools protocol (page.evaluate), which the CSP does not govern; no
// script element is added and the CSP is never bypassed.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_VERSION = require('axe-core/package.json').version;

/** Impacts that fail the test. */
const FAILING = new Set(['serious', 'critical']);

/**
 * Runs axe (WCAG 2.0/2.1/2.2 A and AA rules and best practices) on the page as it is.
 * Returns { violations: [{ id, impact, help, targets, summaries }], passed: rules, failing: n }.
 */
export async function runAxe(page) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return {
      passed: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
        summaries: v.nodes.map((n) => n.failureSummary),
      })),
    };
  });
  // axe's globals stay in the page: remove them so that they are not mistaken for the page's.
  await page.evaluate(() => {
    delete window.axe;
  });
  if (result.passed === 0) throw new Error(`axe checked nothing on ${page.url()}`);
  return {
    violations: result.violations,
    passed: result.passed,
    failing: result.violations.filter((v) => FAILING.has(v.impact)).length,
  };
}

export function describeViolations(violations) {
  return violations
    .map(
      (v) =>
        `[${v.impact}] ${v.id} (${v.help}): ${v.targets.slice(0, 8).join(' | ')}` +
        (v.targets.length > 8 ? ` … (${v.targets.length} nodes)` : '') +
        (v.summaries[0] ? `\n        ${v.summaries[0].replace(/\n/g, '\n        ')}` : ''),
    )
    .join('\n      ');
}
