/**
 * A person enrolled in TOTP straight in the store, as `stint mfa enroll` + confirm leave it: the seed sealed under
 * `key`, the factor confirmed, its last used step in the past (so the current step's code counts). For tests of a
 * surface (Slack, Teams) that only need someone enrolled; the enrolment flow itself is tested in core and API.
 */
import type { MfaStore } from '../../src/core/ports.ts';
import { createSecretBox } from '../../src/core/secret-box.ts';
import { totpStep } from '../../src/core/totp.ts';

export async function enrollTotpInStore(store: Pick<MfaStore, 'startTotpFactor' | 'useTotpStep'>, who: string, seed: Buffer, key: Buffer): Promise<void> {
  const now = new Date();
  await store.startTotpFactor(who, createSecretBox(key).seal(seed), now, { actor: who, action: 'mfa.enrolment_started', requestId: null, data: {}, at: now });
  await store.useTotpStep(who, totpStep(now) - 10, now, null);
}
