/**
 * Modal submissions are answered in the ack itself (field errors, closing the modal), and Slack waits 3 s for it.
 * A use case usually answers in milliseconds, but one that notifies or calls a provider can take longer: then the
 * modal is closed at once and the outcome reaches the person by message when it comes (never silently lost).
 */

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export type Budgeted<T> = { inTime: true; outcome: Settled<T> } | { inTime: false; later: Promise<Settled<T>> };

/** Slack's 3 s, less the receiver's margin and the network. */
export const ACK_BUDGET_MS = 2_000;

export async function withinAckBudget<T>(work: () => Promise<T>, budgetMs = ACK_BUDGET_MS): Promise<Budgeted<T>> {
  const settled: Promise<Settled<T>> = work().then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), budgetMs);
  });
  const first = await Promise.race([settled, late]);
  clearTimeout(timer);
  return first === 'late' ? { inTime: false, later: settled } : { inTime: true, outcome: first };
}
