import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';

describe('logger', () => {
  it('redacts tokens, passwords and authorization headers', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk.toString()), done()) });
    const log = createLogger('info', sink);
    log.info({ token: 'stint_live_secret', req: { headers: { authorization: 'Bearer stint_live_x' } }, db: { password: 'hunter2' } }, 'hello');
    expect(out).not.toMatch(/stint_live_|hunter2/);
    expect(out).toContain('[redacted]');
  });
});
