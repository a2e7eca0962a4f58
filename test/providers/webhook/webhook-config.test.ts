import { describe, expect, it } from 'vitest';
import { createWebhookProvider } from '../../../src/providers/webhook/webhook-provider.ts';

const provider = createWebhookProvider({ env: {}, version: 'test' });
const valid = { type: 'webhook', mode: 'membership', url: 'https://hooks.example.com/stint', secret: 'env:HOOK_SECRET' };

function refusal(config: Record<string, unknown>): Error & { code?: string } {
  try {
    provider.validate(config);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('validate accepted the config');
}

describe('webhook provider validate', () => {
  it('accepts an https URL, a secret reference and the optional keys', () => {
    expect(() => provider.validate(valid)).not.toThrow();
    expect(() =>
      provider.validate({ ...valid, timeoutSec: 5, maxAttempts: 3, check: false, headers: { Authorization: 'env:HOOK_TOKEN', 'X-Api-Key': 'file:/run/secrets/key' } }),
    ).not.toThrow();
  });

  it('accepts plain http only for localhost and 127.0.0.1', () => {
    expect(() => provider.validate({ ...valid, url: 'http://localhost:8080/hook' })).not.toThrow();
    expect(() => provider.validate({ ...valid, url: 'http://127.0.0.1:9/hook' })).not.toThrow();
  });

  it('refuses plain http to any other host, naming url', () => {
    const error = refusal({ ...valid, url: 'http://hooks.example.com/stint' });
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toMatch(/^webhook provider: url: must be https:\/\//);
  });

  it('refuses a URL that carries credentials, without echoing them', () => {
    const error = refusal({ ...valid, url: 'https://admin:hunter2@hooks.example.com/stint' });
    expect(error.message).toMatch(/url: must not carry credentials/);
    expect(JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details })).not.toContain('hunter2');
  });

  it('refuses an inline secret without echoing it', () => {
    const error = refusal({ ...valid, secret: 'whsec_inline_value' });
    expect(error.message).toMatch(/secret: must be env:NAME or file:\/path; inline secrets are refused/);
    expect(JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details })).not.toContain('whsec_inline_value');
  });

  it('refuses an inline header value and a header Stint sets itself, naming the header', () => {
    expect(refusal({ ...valid, headers: { Authorization: 'Bearer abc123' } }).message).toMatch(/headers\.Authorization: must be env:NAME or file:\/path/);
    expect(refusal({ ...valid, headers: { 'Stint-Signature': 'env:X' } }).message).toMatch(/headers\.Stint-Signature: is set by Stint itself/);
  });

  it('names a missing url and secret, an unknown key and a bad number', () => {
    expect(refusal({ type: 'webhook', mode: 'membership' }).message).toMatch(/url: required.*secret: required/s);
    expect(refusal({ ...valid, endpoint: 'x' }).message).toMatch(/unknown key\(s\) endpoint/);
    expect(refusal({ ...valid, maxAttempts: 0 }).message).toMatch(/maxAttempts/);
    expect(refusal({ ...valid, timeoutSec: 'soon' }).message).toMatch(/timeoutSec: must be a number of seconds/);
    expect(refusal({ ...valid, check: 'yes' }).message).toMatch(/check: must be true or false/);
  });

  it('refuses a mode other than the single one', () => {
    expect(refusal({ ...valid, mode: 'ephemeral' }).message).toMatch(/mode: webhook has a single mode/);
  });

  it('describes the receiver host, and says when presence cannot be verified', () => {
    expect(provider.describe(valid)).toBe('Webhook: access managed by hooks.example.com');
    expect(provider.describe({ ...valid, check: false })).toMatch(/presence not verified/);
  });
});
