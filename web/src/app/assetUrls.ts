import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite.js'

/**
 * tldraw's fonts, icons, translations and embed icons, imported through Vite so they are
 * bundled under /assets/ with hashed names. Passing these to <Tldraw assetUrls> keeps the
 * app off tldraw's CDN: Scrawl must work air-gapped.
 */
export const tldrawAssetUrls = getAssetUrlsByImport()
