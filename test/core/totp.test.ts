import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, matchTotp, otpauthUri, totpCode, totpStep } from '../../src/core/totp.ts';
import { createSecretBox } from '../../src/core/secret-box.ts';

// RFC 6238 appendix B: SHA1 seed "12345678901234567890", 8 digits.
const RFC_SEED = Buffer.from('12345678901234567890');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('totp', () => {
  it.each(RFC_VECTORS)('gives the RFC 6238 test vector at %i s', (seconds, code) => {
    expect(totpCode(RFC_SEED, totpStep(new Date(seconds * 1000)), 8)).toBe(code);
  });

  it('accepts the code of the current step and its neighbours, and says which step matched', () => {
    const at = new Date(1_764_669_615_000);
    const step = totpStep(at);
    for (const delta of [-1, 0, 1]) expect(matchTotp(RFC_SEED, totpCode(RFC_SEED, step + delta), at)).toBe(step + delta);
  });

  it('refuses a code two steps away, a wrong code and anything not six digits', () => {
    const at = new Date(1_764_669_615_000);
    const step = totpStep(at);
    expect(matchTotp(RFC_SEED, totpCode(RFC_SEED, step - 2), at)).toBeNull();
    const wrong = String((Number(totpCode(RFC_SEED, step)) + 1) % 1_000_000).padStart(6, '0');
    if (![-1, 0, 1].some((d) => totpCode(RFC_SEED, step + d) === wrong)) expect(matchTotp(RFC_SEED, wrong, at)).toBeNull();
    for (const bad of ['', '12345', '1234567', 'abcdef']) expect(matchTotp(RFC_SEED, bad, at)).toBeNull();
  });

  it('forgives spaces typed inside a code', () => {
    const at = new Date(1_764_669_615_000);
    const code = totpCode(RFC_SEED, totpStep(at));
    expect(matchTotp(RFC_SEED, `${code.slice(0, 3)} ${code.slice(3)}`, at)).toBe(totpStep(at));
  });

  it('round-trips base32 (RFC 4648 vector) and forgives case, spaces and padding', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('mzxw 6ytb oi==').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(/not base32/);
  });

  it('builds the otpauth URI authenticator apps scan', () => {
    const uri = new URL(otpauthUri('alice@example.com', Buffer.from('foobar')));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Stint:alice@example.com');
    expect(uri.searchParams.get('secret')).toBe('MZXW6YTBOI');
    expect(uri.searchParams.get('issuer')).toBe('Stint');
  });
});

describe('secret box', () => {
  const key = Buffer.alloc(32, 7);

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const box = createSecretBox(key);
    const sealed = box.seal(Buffer.from('JBSWY3DPEHPK3PXP'));
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed).toString()).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses to open with another key or after a change', () => {
    const sealed = createSecretBox(key).seal(Buffer.from('seed'));
    expect(() => createSecretBox(Buffer.alloc(32, 8)).open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[2] = Buffer.from('tampered').toString('base64url');
    expect(() => createSecretBox(key).open(parts.join('.'))).toThrow();
  });

  it('refuses a key that is not 32 bytes, saying how to make one', () => {
    expect(() => createSecretBox(Buffer.alloc(16))).toThrow(/32 bytes.*openssl rand -base64 32/);
  });
});
