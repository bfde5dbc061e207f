import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: pino JSON on stdout. Modules take a child of it (`logger.child({ module })`) and never log
 * tokens or document content.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'scrawl' } });
}

/** A logger that drops everything, for library users and tests that do not pass one. */
export const silentLogger: Logger = pino({ level: 'silent' });
