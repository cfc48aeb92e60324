import { argocdCm } from './argo-cd.js';
import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { isPlatformEnvironment } from './nats.js';

/** Namespace of the central Argo CD, apart from the cluster's own `argocd`. */
export const CENTRAL_ARGOCD_NAMESPACE = 'argocd-central';

/**
 * The central Argo CD of the platform environment, which deploys to every
 * environment through the Hub. A second release of the `argo-cd` chart in
 * its own namespace: it installs no CRDs (the cluster's own Argo CD owns
 * them; two Helm releases cannot own one CRD), and its own installationID
 * keeps the two instances from claiming each other's resources under
 * annotation tracking. Prod: replicated controller, server and repo server,
 * and Redis HA instead of a single Redis.
 *
 * argocd-cm is the cluster Argo CD's (health checks for this package's
 * kinds, annotation tracking), so both judge health alike. Unlike the
 * cluster's own, its application controller is sharded by replicas: it
 * manages every environment's cluster.
 */
export const argoCdCentral: AddonDefinition = {
  name: 'argo-cd-central',
  enabled: isPlatformEnvironment,
  // The cluster Argo CD's release owns the CRDs this one uses.
  dependsOn: ['argo-cd'],
  release(ctx) {
    const replicas = replicasOf(ctx, 'argo-cd');
    const ha = highlyAvailable(ctx, 'argo-cd');
    const placement = { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR };
    const pdb = { enabled: ha, ...(ha ? { minAvailable: 1 } : {}) };
    const component = (cpu: string, memory: string, limit: string) => ({
      replicas,
      pdb,
      ...placement,
      resources: { requests: { cpu, memory }, limits: { memory: limit } },
    });
    return {
      chart: 'argo-cd',
      namespace: CENTRAL_ARGOCD_NAMESPACE,
      releaseName: 'argocd-central',
      values: {
        fullnameOverride: 'argocd-central',
        crds: { install: false },
        global: { domain: `argocd-central.${ctx.zoneName}`, ...placement },
        configs: {
          cm: { ...argocdCm(), installationID: 'argocd-central' },
        },
        controller: component('250m', '512Mi', '2Gi'),
        server: component('50m', '128Mi', '256Mi'),
        repoServer: component('100m', '256Mi', '1Gi'),
        applicationSet: component('50m', '64Mi', '256Mi'),
        redis: { enabled: !ha },
        'redis-ha': ha ? { enabled: true, ...placement } : { enabled: false },
        dex: { enabled: false },
        notifications: { enabled: false },
      },
    };
  },
};
