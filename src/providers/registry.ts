/**
 * The providers a deployment knows, selected by a resource's `provider.type`. `validateResources` runs at
 * policy load so a config that cannot work is refused before anyone requests it.
 */
import { StintError, isStintError } from '../domain/errors.ts';
import type { Provider } from '../core/ports.ts';
import type { PolicyResource } from '../policy/model.ts';

export interface ResourceProblem {
  resourceId: string;
  type: string;
  /** No provider of this type is in this build: requests for the resource fail closed at grant time. */
  unknownType: boolean;
  message: string;
}

export interface ProviderRegistry {
  types(): string[];
  /** Throws POLICY_INVALID naming the known types when none has this type. */
  get(type: string): Provider;
  /** Every problem of every resource (unknown type, provider `validate` failures); empty when all are fine. */
  validateResources(policy: { resources: readonly PolicyResource[] }): ResourceProblem[];
  /** Same check, throwing one POLICY_INVALID listing every problem. */
  assertResourcesValid(policy: { resources: readonly PolicyResource[] }): void;
  /**
   * What a policy load does: throws POLICY_INVALID for configs a known provider refuses, and returns the resources
   * whose provider type this build does not have yet (warn about them; their requests fail closed at grant time).
   */
  checkPolicy(policy: { resources: readonly PolicyResource[] }): ResourceProblem[];
  close(): Promise<void>;
}

export function createProviderRegistry(providers: Provider[]): ProviderRegistry {
  const byType = new Map<string, Provider>();
  for (const provider of providers) {
    if (byType.has(provider.type)) throw new StintError('CONFIG_INVALID', `two providers registered for type ${provider.type}`);
    byType.set(provider.type, provider);
  }
  const types = () => [...byType.keys()].sort();

  const get = (type: string): Provider => {
    const provider = byType.get(type);
    if (!provider) {
      throw new StintError('POLICY_INVALID', `unknown provider type "${type}"; known types: ${types().join(', ') || '(none)'}`, { type, known: types() });
    }
    return provider;
  };

  const validateResources = (policy: { resources: readonly PolicyResource[] }): ResourceProblem[] =>
    policy.resources.flatMap((resource) => {
      try {
        get(resource.provider.type).validate(resource.provider);
        return [];
      } catch (error) {
        if (!isStintError(error)) throw error;
        const type = resource.provider.type;
        return [{ resourceId: resource.id, type, unknownType: !byType.has(type), message: error.message }];
      }
    });

  return {
    types,
    get,
    validateResources,
    assertResourcesValid(policy) {
      const problems = validateResources(policy);
      if (problems.length === 0) return;
      const lines = problems.map((problem) => `resource ${problem.resourceId}: ${problem.message}`);
      throw new StintError('POLICY_INVALID', `provider configuration refused:\n  ${lines.join('\n  ')}`, { problems });
    },
    checkPolicy(policy) {
      const problems = validateResources(policy);
      const refused = problems.filter((problem) => !problem.unknownType);
      if (refused.length > 0) {
        const lines = refused.map((problem) => `resource ${problem.resourceId}: ${problem.message}`);
        throw new StintError('POLICY_INVALID', `provider configuration refused:\n  ${lines.join('\n  ')}`, { problems: refused });
      }
      return problems;
    },
    async close() {
      await Promise.allSettled(providers.map((provider) => provider.close?.()));
    },
  };
}
