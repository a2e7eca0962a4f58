/** A small policy with a built-in rotation, a PagerDuty and an Opsgenie schedule, and helpers the on-call tests share. */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { startFakeOpsgenie, type FakeOpsgenie } from '../fakes/opsgenie.ts';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty.ts';
import { minimalYaml } from '../policy/helpers.ts';

// alice, bob (sre), carol, dave (dba), frank (dba, disabled) come from minimalYaml.
export const ONCALL_YAML = minimalYaml(`timezone: Europe/Berlin
oncall:
  sre-primary:
    rotation: [alice, bob]
    shift: 1w
    handoff: "2026-03-23T09:00"
    overrides:
      - { from: "2026-04-08T00:00", to: "2026-04-09T00:00", person: carol }
  dba-pager: { pagerduty: { scheduleId: PSCHED1 } }
  dba-genie: { opsgenie: { schedule: dba } }
`);

export const oncallPolicy = () => parsePolicy(ONCALL_YAML, 'stint.yaml');

/** A pino logger whose lines the test can read. */
export function recordingLogger() {
  const lines: Array<Record<string, any>> = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A `sleep` that returns at once and remembers what it was asked to wait. */
export function recordingSleep() {
  const slept: number[] = [];
  return { slept, sleep: async (ms: number) => void slept.push(ms) };
}

/** Both fakes for a test file: started once, reset before each test, closed at the end. */
export function useFakePagers(): { pd: FakePagerDuty; og: FakeOpsgenie } {
  const fakes = {} as { pd: FakePagerDuty; og: FakeOpsgenie };
  beforeAll(async () => {
    [fakes.pd, fakes.og] = await Promise.all([startFakePagerDuty(), startFakeOpsgenie()]);
  });
  beforeEach(() => {
    fakes.pd.reset();
    fakes.og.reset();
  });
  afterAll(async () => Promise.all([fakes.pd?.close(), fakes.og?.close()]));
  return fakes;
}
