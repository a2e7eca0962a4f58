import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../src/policy/index.ts';

type Schema = { properties: Record<string, Schema>; additionalProperties?: unknown; items?: Schema; required?: string[] };

describe('policyJsonSchema', () => {
  const schema = policyJsonSchema() as unknown as Schema;

  it('describes every top-level key of the policy file', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['admins', 'breakGlass', 'devicePosture', 'digest', 'groups', 'guardrails', 'identity', 'oncall', 'people', 'resources', 'risk', 'serviceAccounts', 'tickets', 'timezone', 'trustedNetworks', 'version', 'workflows'].sort(),
    );
  });

  it('rejects additional properties at the top level', () => {
    expect(schema.additionalProperties).toBe(false);
  });

  it('rejects additional properties in nested objects such as people', () => {
    expect(schema.properties.people!.items!.additionalProperties).toBe(false);
  });

  it('allows provider-specific keys in a resource provider', () => {
    expect(schema.properties.resources!.items!.properties.provider!.additionalProperties).not.toBe(false);
  });

  it('offers breakGlass.reviewers, optional, beside the other break-glass keys', () => {
    const breakGlass = schema.properties.breakGlass!;
    expect(Object.keys(breakGlass.properties).sort()).toEqual(['eligible', 'maxDuration', 'notify', 'reviewers']);
    expect(breakGlass.required?.sort()).toEqual(['eligible', 'maxDuration', 'notify']);
  });

  it('requires version, people, resources and workflows', () => {
    expect(schema.required?.sort()).toEqual(['people', 'resources', 'version', 'workflows']);
  });
});
