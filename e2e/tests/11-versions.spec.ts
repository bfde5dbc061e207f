import type { Page } from '@playwright/test';
import { convergedShapes, drawNewStroke, idsOf, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/** The version rows of the open panel, newest first, as { id, label }. */
async function versionRows(page: Page): Promise<Array<{ id: string; label: string }>> {
  return page.getByTestId('version-row').evaluateAll((rows) =>
    rows.map((row) => ({ id: row.getAttribute('data-version-id')!, label: row.getAttribute('data-label') ?? '' })),
  );
}

function row(page: Page, label: string) {
  return page.locator(`[data-testid="version-row"][data-label="${label}"]`);
}

test('the version panel saves, labels, previews and restores a version; another browser sees the restore', async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  const first = await drawNewStroke(a, wavyPath(200, 250, 20));
  await convergedShapes([a, b], 1);

  // Save "one" from the panel.
  await a.getByTestId('history-button').click();
  await expect(a.getByTestId('version-panel')).toBeVisible();
  await a.getByTestId('version-save-label').fill('one');
  await a.getByTestId('version-save').click();
  await expect(row(a, 'one')).toHaveCount(1);

  // Label it again through the panel.
  await row(a, 'one').getByTestId('version-rename').click();
  await a.getByTestId('version-label-input').fill('just one stroke');
  await a.getByTestId('version-label-input').press('Enter');
  await expect(row(a, 'just one stroke')).toHaveCount(1);

  // B draws two more strokes after the save.
  await drawNewStroke(b, wavyPath(200, 400, 20));
  await drawNewStroke(b, wavyPath(200, 500, 20));
  const three = await convergedShapes([a, b], 3);

  // Preview shows the saved version (one shape), read-only, without touching the live board.
  await row(a, 'just one stroke').getByTestId('version-preview').click();
  const preview = row(a, 'just one stroke').getByTestId('version-preview-image');
  await expect(preview).toHaveAttribute('data-shapes', '1');
  await expect(preview.locator('img, svg').first()).toBeVisible();
  expect(idsOf(await convergedShapes([a, b], 3))).toEqual(idsOf(three));

  // Restore: both browsers go back to the one stroke.
  await row(a, 'just one stroke').getByTestId('version-restore').click();
  await expect(a.getByTestId('version-restored')).toBeVisible();
  const restored = await convergedShapes([a, b], 1);
  expect(idsOf(restored)).toEqual([first.id]);
  // The server kept the state before the restore as an automatic version.
  await expect.poll(async () => (await versionRows(a)).length).toBeGreaterThanOrEqual(2);

  // Undo the restore: the three strokes are back, in both.
  await a.getByTestId('version-undo-restore').click();
  expect(idsOf(await convergedShapes([a, b], 3))).toEqual(idsOf(three));

  // The board still works after all that: B's new stroke reaches A.
  await drawNewStroke(b, wavyPath(600, 300, 20));
  await convergedShapes([a, b], 4);
});
