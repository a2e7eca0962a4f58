/** The HTTP server's error envelope: what a StintError, a malformed body and an unexpected failure look like on the wire. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/api/http-server.ts';
import { DATABASE_BUSY, StintError } from '../../src/domain/errors.ts';
import { createLogger } from '../../src/logger.ts';

describe('HTTP error envelope', () => {
  let server: FastifyInstance;
  beforeAll(async () => {
    server = createHttpServer({ logger: createLogger('silent') });
    server.get('/busy', async () => {
      throw new StintError('UNAVAILABLE', "Stint's database is too busy; try again in a few seconds", { retryAfterSec: 5, reason: DATABASE_BUSY });
    });
    server.get('/provider-down', async () => {
      throw new StintError('UNAVAILABLE', 'The provider did not answer');
    });
    server.get('/boom', async () => {
      throw new Error('secret internals');
    });
    await server.ready();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a busy database with 503 UNAVAILABLE and Retry-After, so clients back off and try again', async () => {
    const res = await server.inject({ method: 'GET', url: '/busy' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: { code: 'UNAVAILABLE', details: { reason: DATABASE_BUSY } } });
  });

  it('sends no Retry-After when the error gives no hint', async () => {
    const res = await server.inject({ method: 'GET', url: '/provider-down' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('hides an unexpected failure behind INTERNAL and a request id', async () => {
    const res = await server.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    expect(res.json().error.message).toMatch(/quote request id req_/);
  });
});
