/**
 * Renders the thumbnails of the shipped templates (server/templates/<id>.webp), so the template picker shows them
 * before anyone has opened a template board. Start a fresh server first (it seeds the templates), then run with its
 * address: `node_modules/.bin/node scripts/render-template-thumbnails.ts http://127.0.0.1:1234`. Each template board is
 * opened in Debian's Chromium, whose thumbnailer renders and uploads it as it does for any board (web/src/boards/
 * thumbnails.ts); the image is then read back from the API and written beside the .tldr file. Run it again after
 * changing a template (scripts/make-templates.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import playwright from '@playwright/test';

const base = process.argv[2];
if (!base) throw new Error('usage: render-template-thumbnails.ts http://HOST:PORT (a server that has seeded the templates)');
const directory = join(import.meta.dirname, '../server/templates');

const { boards } = (await (await fetch(`${base}/api/boards?view=templates`)).json()) as { boards: { id: string; thumbnailUrl: string | null }[] };
const shipped = boards.filter((board) => board.id.startsWith('template-'));
const browser = await playwright.chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  for (const { id } of shipped) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/b/${id}`);
    const url = await waitForThumbnail(id);
    const image = Buffer.from(await (await fetch(`${base}${url}`)).arrayBuffer());
    await writeFile(join(directory, `${id.replace(/^template-/, '')}.webp`), image);
    console.log(`${id}: ${image.byteLength} bytes`);
    await page.close();
  }
} finally {
  await browser.close();
}

/** The board's thumbnail URL once the browser has uploaded one (the thumbnailer waits for the board to settle). */
async function waitForThumbnail(id: string): Promise<string> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const board = (await (await fetch(`${base}/api/boards/${id}`)).json()) as { thumbnailUrl: string | null };
    if (board.thumbnailUrl) return board.thumbnailUrl;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${id}: no thumbnail after 60 s`);
}
