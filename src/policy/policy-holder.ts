/**
 * The current policy, swapped as a whole on reload (it is never mutated in place). Satisfies core's
 * `PolicySource` port: `current()` fails closed with UNAVAILABLE while no valid policy was ever loaded.
 */
import { StintError } from '../domain/errors.ts';
import type { Policy } from './model.ts';

export class PolicyHolder {
  #policy: Policy | undefined;

  constructor(initial?: Policy) {
    this.#policy = initial;
  }

  current(): Policy {
    if (!this.#policy) {
      throw new StintError('UNAVAILABLE', 'No valid policy is loaded: fix the policy file (stint policy check) and reload');
    }
    return this.#policy;
  }

  /** Installs `next` and returns the policy it replaced. */
  replace(next: Policy): Policy | undefined {
    const previous = this.#policy;
    this.#policy = next;
    return previous;
  }
}
