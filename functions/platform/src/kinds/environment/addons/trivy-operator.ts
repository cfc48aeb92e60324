import { CRITICAL_ADDONS_TOLERATION, featureOn, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * Trivy operator (config `features.trivyAdmission`): vulnerability, config
 * audit, exposed-secret and RBAC reports for every workload, kept as CRs
 * that admission policies (Kyverno) can read. Scan jobs run in the
 * operator's namespace; the operator is a single leader-elected controller,
 * so it stays at one replica and gets no PodDisruptionBudget.
 */
export const trivyOperator: AddonDefinition = {
  name: 'trivy-operator',
  chart: { repository: 'https://aquasecurity.github.io/helm-charts/', chart: 'trivy-operator', version: '0.34.0' },
  enabled: (ctx) => featureOn(ctx, 'trivyAdmission'),
  release(ctx) {
    const prod = ctx.config.protection.retainStatefulResources;
    return {
      chart: 'trivy-operator',
      namespace: 'trivy-system',
      values: {
        // Nodes and the control plane are scanned by their owners (EKS, Karpenter AMIs).
        excludeNamespaces: 'kube-system,trivy-system',
        operator: {
          replicas: 1,
          scanJobsConcurrentLimit: prod ? 5 : 3,
          scanJobTimeout: '10m',
          vulnerabilityScannerScanOnlyCurrentRevisions: true,
          configAuditScannerScanOnlyCurrentRevisions: true,
          exposedSecretScannerEnabled: true,
        },
        trivy: {
          severity: 'HIGH,CRITICAL',
          ignoreUnfixed: true,
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
        },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    };
  },
};
