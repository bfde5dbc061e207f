/**
 * Listening on one port through several accept queues.
 *
 * libuv (the event loop under Node >= 22) accepts one connection per listening socket per event-loop iteration. When
 * hundreds of clients connect at once, as after a restart, and every iteration also carries their sync traffic, new
 * connections wait in the kernel's accept queue for hundreds of iterations: a load balancer's `/healthz` probe was
 * measured waiting 0.5-0.8 s behind 500 reconnecting clients, although the loop never stalled longer than 90 ms.
 * Several listening sockets bound to the same port with SO_REUSEPORT (the kernel spreads new connections over them)
 * accept that many connections per iteration, and every accepted socket is handed to the one HTTP server.
 */
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';

/** Listening sockets per port where SO_REUSEPORT exists (Linux); elsewhere one. */
export const ACCEPT_QUEUES = process.platform === 'linux' ? 256 : 1;

/** The bound port, and how to close the extra listening sockets (the server itself is closed by its owner). */
export interface AcceptQueues {
  address: AddressInfo;
  /** Stops the extra listening sockets from accepting; connections they accepted belong to the server. */
  close(): void;
}

/**
 * Makes `server` listen on `port` (0: a free one) and `host` through `queues` accept queues. With more than one, the
 * port must be free: a second process that also sets SO_REUSEPORT would otherwise share it silently, so a plain bind
 * is tried first and its EADDRINUSE is the error a taken port gives.
 */
export async function listenWithAcceptQueues(server: NetServer, port: number, host: string, queues = ACCEPT_QUEUES): Promise<AcceptQueues> {
  if (queues <= 1) {
    await bind(server, { port, host });
    return { address: server.address() as AddressInfo, close: () => {} };
  }
  if (port !== 0) await assertPortFree(port, host);
  await bind(server, { port, host, reusePort: true });
  const address = server.address() as AddressInfo;
  const extra: NetServer[] = [];
  try {
    for (let i = 1; i < queues; i++) {
      // noDelay as the HTTP server sets it for the sockets it accepts itself.
      const listener = createNetServer({ noDelay: true }, (socket) => server.emit('connection', socket));
      await bind(listener, { port: address.port, host, reusePort: true });
      extra.push(listener);
    }
  } catch (error) {
    for (const listener of extra) listener.close();
    server.close();
    throw error;
  }
  return { address, close: () => extra.forEach((listener) => listener.close()) };
}

function bind(server: NetServer, options: { port: number; host: string; reusePort?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Binds `port` without SO_REUSEPORT and lets it go: rejects with EADDRINUSE when anything holds it. */
async function assertPortFree(port: number, host: string): Promise<void> {
  const probe = createNetServer();
  await bind(probe, { port, host });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
