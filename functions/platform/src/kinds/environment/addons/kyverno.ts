import { featureOn, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * Kyverno (config `features.kyverno`): admission policies. Its admission
 * webhook sits in front of every API write, so prod runs three admission
 * replicas (Kyverno's HA guidance: an odd number for its leader election)
 * with PodDisruptionBudgets; each controller runs on the system nodes.
 * `features.trivyAdmission` turns it on too: its policy (`trivy-admission.ts`)
 * runs in Kyverno and reads the Trivy operator's VulnerabilityReports.
 */
export const kyverno: AddonDefinition = {
  name: 'kyverno',
  chart: { repository: 'https://kyverno.github.io/kyverno/', chart: 'kyverno', version: '3.9.0' },
  features: { kyverno: { default: false, description: 'Kyverno admission policies.' } },
  enabled: (ctx) => featureOn(ctx, 'kyverno') || featureOn(ctx, 'trivyAdmission'),
  release(ctx) {
    const ha = highlyAvailable(ctx, 'kyverno');
    const replicas = replicasOf(ctx, 'kyverno');
    const controller = (count: number) => ({
      replicas: count,
      tolerations: [CRITICAL_ADDONS_TOLERATION],
      nodeSelector: SYSTEM_NODE_SELECTOR,
      podDisruptionBudget: { enabled: ha, minAvailable: 1 },
    });
    return {
      chart: 'kyverno',
      namespace: 'kyverno',
      values: {
        admissionController: {
          ...controller(ha ? Math.max(3, replicas) : 1),
          container: { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } } },
          // The Trivy admission policy lists reports through the API as the admission controller:
          // granted by name rather than relying on the chart's default read-everything role.
          ...(featureOn(ctx, 'trivyAdmission')
            ? { rbac: { clusterRole: { extraResources: [{ apiGroups: ['aquasecurity.github.io'], resources: ['vulnerabilityreports'], verbs: ['get', 'list'] }] } } }
            : {}),
        },
        backgroundController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
        cleanupController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
        reportsController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
      },
    };
  },
};
