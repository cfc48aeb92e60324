import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { isPlatformEnvironment } from './nats.js';

/**
 * Argo Workflows for the platform environment: the workflow controller and
 * the server (client auth: callers bring their own Kubernetes token, no
 * anonymous access). Controllers run on the system nodes; workflow pods do
 * not inherit that placement and run on Karpenter nodes. Prod runs two of
 * each with PodDisruptionBudgets (the controller elects a leader).
 */
export const argoWorkflows: AddonDefinition = {
  name: 'argo-workflows',
  chart: { repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-workflows', version: '1.0.18' },
  enabled: isPlatformEnvironment,
  release(ctx) {
    const replicas = replicasOf(ctx, 'argo-workflows');
    const ha = highlyAvailable(ctx, 'argo-workflows');
    const placement = { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR };
    const pdb = ha ? { enabled: true, minAvailable: 1 } : { enabled: false };
    return {
      chart: 'argo-workflows',
      namespace: 'argo',
      releaseName: 'argo-workflows',
      values: {
        crds: { install: true, keep: true },
        controller: {
          replicas,
          pdb,
          ...placement,
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
          // Workflows run in the argo namespace, where the chart creates their service account and RBAC.
          workflowNamespaces: ['argo'],
        },
        server: {
          enabled: true,
          replicas,
          pdb,
          ...placement,
          authModes: ['client'],
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        },
        workflow: { serviceAccount: { create: true, name: 'argo-workflow' }, rbac: { create: true } },
      },
    };
  },
};
