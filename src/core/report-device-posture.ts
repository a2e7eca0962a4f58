/**
 * An MDM (or any device-management webhook) reports a person's device posture (issue 12): the latest report is
 * kept for 24 hours and becomes the `device` context signal of their requests (risk `noncompliantDevice`, CEL
 * `request.device`). Admin tokens only: a person must not vouch for their own device.
 */
import { StintError } from '../domain/errors.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import type { Clock, DevicePostureRecord, DevicePostureStore, PolicySource } from './ports.ts';

export interface DevicePostureInput {
  personId: string;
  compliant: boolean;
  deviceId?: string | null;
  source?: string | null;
}

export async function reportDevicePosture(
  actor: Actor,
  input: DevicePostureInput,
  ports: { devices: DevicePostureStore; policy: PolicySource; clock: Clock },
): Promise<DevicePostureRecord> {
  if (!actsAsAdmin(ports.policy.current(), actor)) {
    throw new StintError('FORBIDDEN', 'Only an admin token (the MDM webhook\'s) may report device posture; a person never vouches for their own device');
  }
  if (!ports.policy.current().people.has(input.personId)) {
    throw new StintError('NOT_FOUND', `No person "${input.personId}" in the policy; report postures by policy person id`, { personId: input.personId });
  }
  const record: DevicePostureRecord = {
    personId: input.personId,
    compliant: input.compliant,
    deviceId: input.deviceId ?? null,
    source: input.source ?? null,
    reportedAt: ports.clock.now(),
  };
  await ports.devices.saveDevicePosture(record, {
    actor: actor.id,
    action: 'signal.device_posture',
    data: { personId: record.personId, compliant: record.compliant, deviceId: record.deviceId, source: record.source },
    at: record.reportedAt,
  });
  return record;
}
