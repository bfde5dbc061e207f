/**
 * `@scrawl/web` as a library: the Scrawl board as a React component for another React app.
 * Built by `npm run build:lib` into dist-lib/ (ESM; react, react-dom and tldraw stay the host's).
 * docs/embedding.md shows it in use.
 */
export { ScrawlBoard, type ScrawlBoardProps, type ScrawlUser } from './ScrawlBoard.tsx'
export { createRoomApi, type RoomApi, type VersionInfo, type RestoreResult, type ShareLink, RoomApiError } from '../app/roomApi.ts'
export { tokenClaims, type TokenMode } from '../app/access.ts'
