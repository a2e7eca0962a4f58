import { describe, expect, it } from 'vitest';
import { StintError } from '../../../src/domain/errors.ts';
import { bindingName } from '../../../src/providers/kubernetes/kubernetes-config.ts';
import { createKubernetesProvider } from '../../../src/providers/kubernetes/kubernetes-provider.ts';

const provider = createKubernetesProvider({ env: {} });
const base = { type: 'kubernetes', namespace: 'team-a', roleRef: { kind: 'ClusterRole', name: 'edit' } };

function problemOf(config: Record<string, unknown>): string {
  try {
    provider.validate(config);
  } catch (err) {
    expect(err).toBeInstanceOf(StintError);
    expect((err as StintError).code).toBe('POLICY_INVALID');
    return (err as StintError).message;
  }
  throw new Error('validate accepted the config');
}

describe('kubernetes provider config', () => {
  it('accepts a RoleBinding of a ClusterRole in a namespace, and a cluster-wide binding without one', () => {
    expect(() => provider.validate(base)).not.toThrow();
    // As the policy loader hands it over, with its default mode filled in.
    expect(() => provider.validate({ ...base, mode: 'membership' })).not.toThrow();
    expect(() => provider.validate({ type: 'kubernetes', roleRef: { kind: 'ClusterRole', name: 'view' }, subjectKind: 'Group', kubeconfig: 'file:/etc/stint/kubeconfig', context: 'prod' })).not.toThrow();
  });

  it('refuses a Role without a namespace, naming the namespace field', () => {
    expect(problemOf({ type: 'kubernetes', roleRef: { kind: 'Role', name: 'deployer' } })).toMatch(/namespace: required when roleRef.kind is Role/);
  });

  it('refuses an inline kubeconfig without echoing it', () => {
    const message = problemOf({ ...base, kubeconfig: 'apiVersion: v1\nusers: [{ user: { token: s3cr3t } }]' });
    expect(message).toMatch(/kubeconfig: must be env:NAME or file:\/path/);
    expect(message).not.toContain('s3cr3t');
  });

  it('names each bad field: roleRef kind, namespace syntax, subjectKind, unknown keys', () => {
    expect(problemOf({ ...base, roleRef: { kind: 'Pod', name: 'x' } })).toMatch(/roleRef.kind: must be ClusterRole or Role/);
    expect(problemOf({ ...base, roleRef: undefined })).toMatch(/roleRef: required/);
    expect(problemOf({ ...base, namespace: 'Team_A' })).toMatch(/namespace: must be a namespace name/);
    expect(problemOf({ ...base, subjectKind: 'ServiceAccount' })).toMatch(/subjectKind: must be User or Group/);
    expect(problemOf({ ...base, server: 'https://x' })).toMatch(/unknown key\(s\) server/);
    expect(problemOf({ ...base, maxAttempts: 0 })).toMatch(/maxAttempts/);
    expect(problemOf({ ...base, mode: 'ephemeral' })).toMatch(/mode: must be membership/);
  });

  it('describes the grant for cards', () => {
    expect(provider.describe(base)).toBe('Kubernetes: ClusterRole edit in namespace team-a for your user');
    expect(provider.describe({ type: 'kubernetes', roleRef: { kind: 'ClusterRole', name: 'view' }, subjectKind: 'Group' })).toBe('Kubernetes: ClusterRole view cluster-wide for your group');
  });

  it('derives a DNS-1123 binding name from the request id, distinct per resource', () => {
    const name = bindingName('jit_01HZX3Q9ABCDEFGHJKMNPQRSTV', 'k8s-team-a');
    expect(name).toMatch(/^stint-jit-01hzx3q9abcdefghjkmnpqrstv-[0-9a-f]{8}$/);
    expect(bindingName('jit_01HZX3Q9ABCDEFGHJKMNPQRSTV', 'k8s-team-b')).not.toBe(name);
  });
});
