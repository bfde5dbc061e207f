import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThumbnailImage } from './board-catalog.ts';
import { TldrFileError, tldrToBoardUpdate } from './tldr-document.ts';

/** Where the repository keeps the templates it ships (written by scripts/make-templates.ts). */
export const SHIPPED_TEMPLATES_DIRECTORY = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Prefix of a template board's id, so templates and user boards can never collide. */
export const TEMPLATE_ID_PREFIX = 'template-';

/** A template ready to seed as a board. */
export interface ShippedTemplate {
  /** `template-<file name without .tldr>`, e.g. `template-kanban`. */
  id: string;
  /** The file's document name; the file name when the document has none. */
  title: string;
  /** The board document (docs/document-schema.md) as one Yjs update, ready for `Y.applyUpdate` or the store. */
  update: Uint8Array;
  /** `<file name>.webp` beside the file (scripts/render-template-thumbnails.ts), or null when there is none. */
  thumbnail: ThumbnailImage | null;
}

/**
 * Reads every `*.tldr` file in `directory` and converts it to a board document, sorted by id. A broken file stops the
 * load with a {@link TldrFileError} naming the file: shipped templates are part of the release, so this is a bug to
 * see at start, not something to skip silently.
 */
export async function loadShippedTemplates(directory: string = SHIPPED_TEMPLATES_DIRECTORY, only?: ReadonlySet<string>): Promise<ShippedTemplate[]> {
  const fileNames = (await readdir(directory)).filter((name) => name.endsWith('.tldr') && (!only || only.has(templateId(name))));
  const templates = await Promise.all(
    fileNames.map(async (fileName) => {
      const fileId = basename(fileName, '.tldr');
      try {
        const { update, title } = tldrToBoardUpdate(await readFile(join(directory, fileName)));
        const image = await readFile(join(directory, `${fileId}.webp`)).catch(() => null);
        const thumbnail = image ? { type: 'image/webp', bytes: new Uint8Array(image) } : null;
        return { id: templateId(fileName), title: title ?? fileId, update, thumbnail };
      } catch (error) {
        if (error instanceof TldrFileError) throw new TldrFileError(error.problem, fileName);
        throw error;
      }
    }),
  );
  return templates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The board id of a template file: `template-<file name without .tldr>`. */
function templateId(fileName: string): string {
  return `${TEMPLATE_ID_PREFIX}${basename(fileName, '.tldr')}`;
}

/** Where the server gets templates to seed: their ids cheaply, and the documents of only the ids it lacks. */
export interface TemplateSource {
  ids(): Promise<string[]>;
  load(ids: ReadonlySet<string>): Promise<ShippedTemplate[]>;
}

/**
 * The templates in `directory` as a {@link TemplateSource}. Converting them costs ~90 ms of a cold process's main
 * thread, so a server that has seeded them already (every start but the first) only lists the file names.
 */
export function shippedTemplates(directory: string = SHIPPED_TEMPLATES_DIRECTORY): TemplateSource {
  return {
    ids: async () => (await readdir(directory)).filter((name) => name.endsWith('.tldr')).map(templateId).sort(),
    load: (ids) => loadShippedTemplates(directory, ids),
  };
}
