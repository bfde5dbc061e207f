import type { FullResult, Reporter, Suite, TestCase } from '@playwright/test/reporter';

/**
 * Prints the measurements tests attach (annotations of type `measure`) and the closing line the root `npm test`
 * is read by: `e2e: N passed, N failed`. A test that did not run in a failed session counts as failed.
 */
export default class SummaryReporter implements Reporter {
  private root: Suite | null = null;
  private startedAt = Date.now();

  onBegin(_config: unknown, suite: Suite): void {
    this.root = suite;
    this.startedAt = Date.now();
  }

  onEnd(result: FullResult): void {
    const tests: TestCase[] = this.root?.allTests() ?? [];
    let passed = 0;
    let failed = 0;
    const measures: string[] = [];
    for (const test of tests) {
      const outcome = test.outcome();
      if (outcome === 'expected' || outcome === 'flaky') passed++;
      else if (outcome === 'unexpected' || result.status !== 'passed') failed++;
      const seen = new Set<string>();
      for (const annotation of [...test.annotations, ...test.results.flatMap((r) => r.annotations ?? [])]) {
        if (annotation.type !== 'measure' || !annotation.description || seen.has(annotation.description)) continue;
        seen.add(annotation.description);
        measures.push(`  ${test.title}: ${annotation.description}`);
      }
    }
    if (measures.length) console.log(`\ne2e measurements:\n${measures.join('\n')}`);
    console.log(`e2e: run took ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`);
    console.log(`e2e: ${passed} passed, ${failed} failed`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
