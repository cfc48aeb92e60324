import type { EnvironmentContext } from '../context.js';
import { featureOn, CRITICAL_ADDONS_TOLERATION, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const NAMESPACE = 'falco';
const TALON_PORT = 2803;

/** Whether Falco Talon answers Falco's critical events by terminating the pod (config `features.falcoKillMode`). */
function killMode(ctx: EnvironmentContext): boolean {
  return featureOn(ctx, 'falco') && featureOn(ctx, 'falcoKillMode');
}

/**
 * Falco: runtime threat detection on every node (modern eBPF probe, no
 * kernel module), its events forwarded by Falcosidekick; with kill mode, to
 * Falco Talon, which terminates the offending pod.
 */
export const falco: AddonDefinition = {
  name: 'falco',
  chart: { repository: 'https://falcosecurity.github.io/charts', chart: 'falco', version: '9.1.0' },
  features: { falco: { default: false, description: 'Falco runtime detection.' } },
  enabled: (ctx) => featureOn(ctx, 'falco'),
  release(ctx) {
    return {
      chart: 'falco',
      namespace: NAMESPACE,
      values: {
        driver: { enabled: true, kind: 'modern_ebpf' },
        // A detector that skips tainted nodes leaves them unwatched.
        tolerations: [{ operator: 'Exists' }],
        resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        collectors: { kubernetes: { enabled: false } },
        falco: { json_output: true },
        falcosidekick: {
          enabled: true,
          replicaCount: replicasOf(ctx, 'falco'),
          tolerations: [CRITICAL_ADDONS_TOLERATION],
          nodeSelector: SYSTEM_NODE_SELECTOR,
          resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          config: killMode(ctx) ? { talon: { address: `http://falco-talon.${NAMESPACE}.svc:${TALON_PORT}`, minimumpriority: 'critical' } } : {},
        },
      },
    };
  },
};

/**
 * Falco Talon in kill mode: Critical (and worse) events from workloads are
 * answered by terminating the pod; DaemonSets and StatefulSets are left to
 * a human (killing a node agent or a database replica does more harm), and
 * kube-system is never touched.
 */
export const falcoTalon: AddonDefinition = {
  name: 'falco-talon',
  chart: { repository: 'https://falcosecurity.github.io/charts', chart: 'falco-talon', version: '0.4.1' },
  features: { falcoKillMode: { default: false, description: 'Falco Talon terminates pods on the critical events of Falco (with falco).' } },
  enabled: killMode,
  release(ctx) {
    const rules = [
      '- action: Terminate Pod',
      '  actionner: kubernetes:terminate',
      '  parameters:',
      '    ignore_daemonsets: true',
      '    ignore_statefulsets: true',
      '    grace_period_seconds: 10',
      '- rule: Terminate pods on critical events',
      '  match:',
      '    priority: ">=Critical"',
      '    output_fields:',
      '      - k8s.ns.name!=kube-system',
      '  actions:',
      '    - action: Terminate Pod',
      '',
    ].join('\n');
    return {
      chart: 'falco-talon',
      namespace: NAMESPACE,
      values: {
        replicaCount: replicasOf(ctx, 'falco-talon'),
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        config: { listenPort: TALON_PORT, defaultNotifiers: ['k8sevents'], rulesOverride: rules },
      },
    };
  },
};
