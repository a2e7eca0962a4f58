/**
 * manifests/k8s as a cluster would take them: every object validates against the Kubernetes OpenAPI schema
 * (kubernetes-models' validators), and the pieces fit together — selectors match pod labels, Services and probes
 * name ports that exist, the HPA and PDB target the Deployments, the policy in the ConfigMap loads with Stint's own
 * loader at the path the pods are told, pods run non-root with a read-only root and no capabilities, and the
 * example Secret holds only placeholders for variables Stint really reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.ts';
import { parsePolicy } from '../../src/policy/index.ts';

const DIR = path.resolve(import.meta.dirname, '../../manifests/k8s');
type Doc = Record<string, any>;

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  });
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects = files.flatMap((file) => docsOf(file).map((doc) => ({ file, doc })));
const kustomization = parse(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as Doc;
const applied = objects.filter((o) => (kustomization.resources as string[]).includes(o.file)).map((o) => o.doc);
const ofKind = (kind: string) => applied.filter((d) => d.kind === kind);
const deployments = ofKind('Deployment');
const deployment = (name: string) => deployments.find((d) => d.metadata.name === name)!;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const podsSelectedBy = (selector: Record<string, string>) => deployments.filter((d) => matches(selector, d.spec.template.metadata.labels));

describe('manifests/k8s', () => {
  it('lists every manifest in the kustomization except the example Secret, and each listed file exists', () => {
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
    expect(kustomization.images).toEqual([expect.objectContaining({ name: 'stint' })]);
  });

  it('validates every object against the Kubernetes OpenAPI schema of its apiVersion and kind', () => {
    expect(objects.length).toBeGreaterThanOrEqual(12);
    for (const { file, doc } of objects) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${file}: ${doc.apiVersion} ${doc.kind} is not a kind we check`).toBeDefined();
      expect(() => new Model!(doc).validate(), `${file}: ${doc.kind} ${doc.metadata?.name}`).not.toThrow();
      expect(doc.metadata.labels?.['app.kubernetes.io/name'], `${file}: ${doc.metadata.name} is labelled`).toBe('stint');
    }
  });

  it('would catch a wrong type (the schema check is not a no-op)', () => {
    const broken = structuredClone(deployment('stint-serve'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
  });

  it('runs serve and worker from the image, each with its own command, probes on ports that exist, and resources', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['stint-serve', 'stint-worker']);
    for (const [name, verb, readiness, liveness] of [
      ['stint-serve', 'serve', '/readyz', '/healthz'],
      ['stint-worker', 'worker', '/readyz', '/healthz'],
    ] as const) {
      const d = deployment(name);
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      const [c] = d.spec.template.spec.containers;
      expect(c.image).toBe('stint');
      expect(c.args).toEqual(['node', 'dist/main.js', verb]);
      const ports = new Set(c.ports.map((p: Doc) => p.name));
      expect(c.readinessProbe.httpGet).toMatchObject({ path: readiness });
      expect(c.livenessProbe.httpGet).toMatchObject({ path: liveness });
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(ports.has(probe.httpGet.port)).toBe(true);
      expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits.memory).toEqual(expect.any(String));
      // SIGTERM drains within 25 s (cli/run-server.ts): the grace period leaves room for it after any preStop pause.
      const pause = Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0);
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(25 + pause);
    }
    const workerPort = deployment('stint-worker').spec.template.spec.containers[0].ports[0].containerPort;
    const workerEnv = deployment('stint-worker').spec.template.spec.containers[0].env;
    expect(workerEnv).toContainEqual({ name: 'METRICS_PORT', value: String(workerPort) });
    const servePort = deployment('stint-serve').spec.template.spec.containers[0].ports[0].containerPort;
    expect(deployment('stint-serve').spec.template.spec.containers[0].env).toContainEqual({ name: 'PORT', value: String(servePort) });
  });

  it('runs every pod non-root, without privilege escalation or capabilities, on a read-only root with writable /tmp', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        const tmp = c.volumeMounts.find((m: Doc) => m.mountPath === '/tmp');
        expect(pod.volumes.find((v: Doc) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      }
    }
  });

  it('mounts the policy ConfigMap where STINT_POLICY points, and that policy loads with Stint\'s own loader', () => {
    const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === 'stint-policy')!;
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const c = pod.containers[0];
      const policyPath = c.env.find((e: Doc) => e.name === 'STINT_POLICY').value as string;
      const mount = c.volumeMounts.find((m: Doc) => policyPath.startsWith(`${m.mountPath}/`));
      const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
      expect(volume.configMap.name).toBe('stint-policy');
      expect(Object.keys(configMap.data)).toContain(path.basename(policyPath));
      expect(c.envFrom).toContainEqual({ secretRef: { name: 'stint-secrets' } });
    }
    const policy = parsePolicy(configMap.data['stint.yaml'], 'policy-configmap.yaml');
    expect(policy.resources.map((r) => r.id)).toContain('prod-orders-db');
  });

  it('points Services, PDBs, HPAs and NetworkPolicies at the right Deployment and its ports', () => {
    for (const s of ofKind('Service')) {
      const [target] = podsSelectedBy(s.spec.selector);
      expect(target, `Service ${s.metadata.name} selects a Deployment`).toBeDefined();
      const named = target!.spec.template.spec.containers[0].ports.map((p: Doc) => p.name);
      for (const port of s.spec.ports) expect(named).toContain(port.targetPort);
    }
    for (const pdb of ofKind('PodDisruptionBudget')) {
      const [target] = podsSelectedBy(pdb.spec.selector.matchLabels);
      expect(pdb.spec.minAvailable).toBeLessThan(target!.spec.replicas);
    }
    for (const hpa of ofKind('HorizontalPodAutoscaler')) {
      expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(deployment(hpa.spec.scaleTargetRef.name)).toBeDefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
    for (const np of ofKind('NetworkPolicy')) {
      const [target] = podsSelectedBy(np.spec.podSelector.matchLabels);
      const open = np.spec.ingress.flatMap((rule: Doc) => rule.ports.map((p: Doc) => p.port));
      expect(open.sort()).toEqual(target!.spec.template.spec.containers[0].ports.map((p: Doc) => p.containerPort).sort());
    }
    expect(ofKind('Service').find((s) => s.metadata.name === 'stint')!.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
  });

  it('gives the example Secret placeholders only, for variables Stint reads or the policy references', () => {
    const [secret] = docsOf('secret.example.yaml');
    const policyText = ofKind('ConfigMap')[0]!.data['stint.yaml'] as string;
    for (const [key, value] of Object.entries(secret!.stringData as Record<string, string>)) {
      expect(CONFIG_VARIABLES.includes(key) || policyText.includes(`env:${key}`), `${key} is read by Stint`).toBe(true);
      expect(/CHANGE-ME|^[0-]+$|example\.com/.test(value), `${key} holds a placeholder`).toBe(true);
    }
    expect(Object.keys(secret!.stringData)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'STINT_ADMIN_TOKEN']));
  });
});
