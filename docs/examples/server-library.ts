/**
 * Scrawl's server as a library, mounted on a plain Node HTTP server (docs/embedding.md).
 *
 *   node docs/examples/server-library.ts            # http://127.0.0.1:4321, data in ./data-example
 *   PORT=0 DATA_DIR=/tmp/x node docs/examples/server-library.ts
 *
 * In your own project the import is `from '@scrawl/server'` (the server workspace's package).
 * `startExample()` is exported so a test can run it on port 0 and stop it again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createScrawlServer, LevelDbStore, type ScrawlServer } from '@scrawl/server';

/** Options of {@link startExample}. */
export interface ExampleOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** LevelDB directory. */
  dataDir: string;
  host?: string;
  /** The built web app (web/dist) to serve the board pages too; omit for an API and WebSocket-only server. */
  webRoot?: string;
}

/** A running example: your HTTP server with Scrawl attached. */
export interface RunningExample {
  httpServer: Server;
  scrawl: ScrawlServer;
  /** `http://host:port` */
  url: string;
  /** Stops Scrawl gracefully (closing its sockets with 1001 and the store), then the HTTP server. */
  close(): Promise<void>;
}

/** Creates an HTTP server, attaches Scrawl to it and listens. */
export async function startExample({ port, dataDir, host = '127.0.0.1', webRoot }: ExampleOptions): Promise<RunningExample> {
  // Your server: it may already exist and have other listeners (see docs/embedding.md for sharing routes).
  const httpServer = createServer();

  const scrawl = createScrawlServer({
    store: new LevelDbStore({ directory: dataDir }),
    webRoot, // serves /, /b/:room and /embed/:room when set
    authSecret: process.env.AUTH_SECRET ?? null, // tokens required when set
  });
  // Adds Scrawl's HTTP routes (/healthz, /api/...) and its WebSocket endpoints (/sync, /yjs/:room) to the server.
  scrawl.attach(httpServer);
  // Opens the store; until then /healthz answers 503 and upgrades are refused.
  await scrawl.start();

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  return {
    httpServer,
    scrawl,
    url: `http://${host}:${address.port}`,
    async close() {
      await scrawl.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const running = await startExample({
    port: Number(process.env.PORT ?? 4321),
    dataDir: process.env.DATA_DIR ?? './data-example',
    webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  });
  console.log(`Scrawl on your own HTTP server: ${running.url} (health: ${running.url}/healthz)`);
  // Drain on SIGTERM/Ctrl-C: no acknowledged update is lost.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.close().then(() => process.exit(0)));
}
