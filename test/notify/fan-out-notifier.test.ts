import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { FanOutNotifier } from '../../src/notify/fan-out-notifier.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';

const reloadFailed: Notification = { kind: 'policy.reload_failed', message: 'bad yaml' };
const failing = { notify: async () => Promise.reject(new Error('Slack is down')) };

describe('FanOutNotifier', () => {
  it('tells every notifier', async () => {
    const a = new RecordingNotifier();
    const b = new RecordingNotifier();
    await new FanOutNotifier([a, b], createLogger('silent')).notify(reloadFailed);
    expect([a.sent, b.sent]).toEqual([[reloadFailed], [reloadFailed]]);
  });

  it('still tells the others when one fails, and does not throw', async () => {
    const after = new RecordingNotifier();
    await expect(new FanOutNotifier([failing, after], createLogger('silent')).notify(reloadFailed)).resolves.toBeUndefined();
    expect(after.sent).toEqual([reloadFailed]);
  });

  it('does not throw when a notifier throws before returning a promise', async () => {
    const throwsAtOnce = {
      notify(): Promise<void> {
        throw new Error('not even a promise');
      },
    };
    await expect(new FanOutNotifier([throwsAtOnce], createLogger('silent')).notify(reloadFailed)).resolves.toBeUndefined();
  });

  it('tells a notifier added later', async () => {
    const late = new RecordingNotifier();
    const fanOut = new FanOutNotifier([], createLogger('silent'));
    fanOut.add(late);
    await fanOut.notify(reloadFailed);
    expect(late.sent).toEqual([reloadFailed]);
  });
});
