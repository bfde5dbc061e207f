import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startChildServer } from './harness.ts';

test('defaults follow INTERFACE.md', () => {
  const config = loadConfig({});
  assert.equal(config.port, 1234);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.dataDir, './data');
  assert.equal(config.maxMessageBytes, 16 * 1024 * 1024);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.databaseUrl, null);
  assert.equal(config.redisUrl, null);
  assert.equal(config.authSecret, null);
  assert.equal(config.allowedOrigins, null);
  assert.equal(config.tls, null);
});

test('every bad variable is named in the error', () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MAX_MESSAGE_BYTES: '-1' }, 'MAX_MESSAGE_BYTES'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TLS_CERT_FILE: '/c.pem' }, 'TLS_KEY_FILE'],
    [{ AUTH_SECRET: 'short' }, 'AUTH_SECRET'],
    [{ ALLOWED_ORIGINS: 'example.com' }, 'ALLOWED_ORIGINS'],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, 'REDIS_URL'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && error.message.startsWith(`${variable}:`));
  }
  assert.deepEqual(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173' }).allowedOrigins, [
    'https://a.example',
    'http://localhost:5173',
  ]);
});

test('the server process refuses to start on a bad variable and names it', async () => {
  await assert.rejects(startChildServer({ PORT: 'eighty' }), /exited during start:\n.*PORT: expected a whole number/);
});
