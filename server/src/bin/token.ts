/**
 * `npm run token -- --room ROOM [--mode rw|ro] [--ttl SECONDS] [--sub ID] [--name NAME]` prints a token signed with
 * AUTH_SECRET. `--room '*'` grants every room.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { isValidRoomId } from '../rooms.ts';
import { TokenVerifier } from '../sync/auth.ts';

const usage = 'usage: npm run token -- --room ROOM [--mode rw|ro] [--ttl SECONDS] [--sub ID] [--name NAME]';
try {
  const { values } = parseArgs({
    options: {
      room: { type: 'string' },
      mode: { type: 'string', default: 'rw' },
      ttl: { type: 'string', default: String(30 * 24 * 3600) },
      sub: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const { authSecret } = loadConfig();
  if (!authSecret) throw new ConfigError('AUTH_SECRET', 'must be set to mint tokens');
  const room = values.room ?? '';
  if (room !== '*' && !isValidRoomId(room)) throw new Error(`--room: expected a room id or '*'\n${usage}`);
  if (values.mode !== 'rw' && values.mode !== 'ro') throw new Error(`--mode: expected rw or ro\n${usage}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`--ttl: expected whole seconds\n${usage}`);
  const token = await new TokenVerifier(authSecret).mint({ room, mode: values.mode, sub: values.sub, name: values.name }, ttl);
  console.log(token);
} catch (error) {
  console.error(`scrawl token: ${(error as Error).message}`);
  process.exit(2);
}
