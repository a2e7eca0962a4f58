import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that measure time run alone, after the rest (`npm run test:soak`), one file at a time: the short soak, and
 * `stint ssh` end to end, under tmux and in process (real-time terminal sessions; session end → revoked within 2 s). Sharing the two cores with the suite would measure it.
 */
const MEASURING = [
  'test/e2e/soak.test.ts',
  'test/e2e/stint-ssh.test.ts',
  'test/gateway/stint-ssh-tmux.test.ts',
  'test/cli/ssh-command.test.ts',
  // Real sshd + useradd/userdel on this host, each remote command bounded by 20 s: they create and remove local
  // accounts and time sessions, so they get the cores (and /etc/passwd) to themselves.
  'test/providers/linux/linux-ephemeral.test.ts',
  'test/providers/linux/linux-launch.test.ts',
  'test/providers/linux/linux-elevation.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.STINT_SOAK === '1' ? [] : MEASURING)],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration files each start their own database; keep parallelism modest.
    maxWorkers: 2,
  },
});
