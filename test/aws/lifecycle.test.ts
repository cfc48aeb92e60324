import { describe, expect, it } from 'vitest';
import { ADDONS } from '../../functions/platform/src/kinds/environment/addons/index.js';
import { platformConfigSchema } from '../../functions/platform/src/environment-config/platform-config.js';
import { readManifest, type JsonObject } from '../helpers/requests.js';
import { settledExample } from '../helpers/settled-checks.js';
import type { Resources } from '../helpers/settle.js';

/** Settling a whole Environment takes seconds on a busy machine. */
const SLOW = { timeout: 120_000 };

/**
 * End of EKS standard support per minor (the EKS Kubernetes version calendar,
 * docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
 */
const EKS_STANDARD_SUPPORT_ENDS: Readonly<Record<string, string>> = {
  '1.33': '2026-07-29',
  '1.34': '2026-12-02',
  '1.35': '2027-03-27',
};
/** The date the default version was last chosen; bump it with the version. */
const VERSION_REVIEWED = '2026-12-05';

const EXAMPLES = ['dev', 'staging', 'prod', 'prod-standalone'] as const;
const settled = new Map<string, Resources>();
function render(example: string): Resources {
  const cached = settled.get(example) ?? settledExample(example);
  settled.set(example, cached);
  return cached;
}

const forProvider = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
const manifest = (r: JsonObject | undefined): JsonObject => forProvider(r).manifest as JsonObject;
const externalName = (r: JsonObject | undefined): unknown => ((r?.metadata as JsonObject | undefined)?.annotations as JsonObject | undefined)?.['crossplane.io/external-name'];

describe('Kubernetes version and support policy', SLOW, () => {
  it('the default minor is in EKS standard support on the date it was reviewed', () => {
    const base = readManifest('environment-configs/base.yaml').data as { kubernetes: { version: string } };
    const end = EKS_STANDARD_SUPPORT_ENDS[base.kubernetes.version];
    expect(end, `no support dates for ${base.kubernetes.version}`).toBeDefined();
    expect(end! > VERSION_REVIEWED).toBe(true);
  });

  for (const example of EXAMPLES) {
    it(`${example}: the cluster never enters extended support silently`, () => {
      const cluster = forProvider(render(example).cluster);
      expect(cluster.upgradePolicy).toEqual({ supportType: 'STANDARD' });
      expect((EKS_STANDARD_SUPPORT_ENDS[cluster.version as string] ?? '') > VERSION_REVIEWED).toBe(true);
    });
  }
});

describe('Karpenter node AMIs', SLOW, () => {
  const cases = [
    { reason: 'dev takes every Bottlerocket release first', example: 'dev', alias: /^bottlerocket@latest$/ },
    { reason: 'staging is pinned', example: 'staging', alias: /^bottlerocket@v\d+\.\d+\.\d+$/ },
    { reason: 'prod is pinned', example: 'prod', alias: /^bottlerocket@v\d+\.\d+\.\d+$/ },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      const classes = Object.entries(render(c.example)).filter(([key]) => key.startsWith('object-karpenter-node-class-'));
      expect(classes.length).toBeGreaterThan(0);
      for (const [, object] of classes) expect(((manifest(object).spec as JsonObject).amiSelectorTerms as JsonObject[])[0]?.alias).toMatch(c.alias);
    });
  }

  it('the config refuses an alias that is not a Bottlerocket release', () => {
    const base = readManifest('environment-configs/base.yaml').data as JsonObject;
    const nodes = { ...(base.nodes as JsonObject), amiAlias: 'al2023@latest' };
    const result = platformConfigSchema.safeParse({ ...base, nodes });
    expect(result.success).toBe(false);
  });
});

describe('CRDs come from releases that upgrade them', SLOW, () => {
  const addon = (name: string) => ADDONS.find((a) => a.name === name);

  it('Karpenter: the karpenter-crd chart is its own release, the controller skips its crds/ and waits for it', () => {
    const r = render('prod');
    expect(forProvider(r['release-karpenter-crd']).chart).toMatchObject({ name: 'karpenter-crd', version: (forProvider(r['release-karpenter']).chart as JsonObject).version });
    expect(forProvider(r['release-karpenter']).skipCRDs).toBe(true);
    expect(addon('karpenter')?.dependsOn).toContain('karpenter-crd');
  });

  it('Gateway API: the standard channel from gateway-crds-helm of the Envoy Gateway version, before Envoy Gateway', () => {
    const r = render('dev');
    const crds = forProvider(r['release-gateway-api-crds']);
    expect(crds.chart).toMatchObject({ name: 'gateway-crds-helm', version: (forProvider(r['release-envoy-gateway']).chart as JsonObject).version });
    expect(crds.values).toEqual({ crds: { gatewayAPI: { enabled: true, channel: 'standard' }, envoyGateway: { enabled: false } } });
    expect(addon('envoy-gateway')?.dependsOn).toContain('gateway-api-crds');
  });
});

describe('CloudWatch log groups expire', SLOW, () => {
  for (const example of EXAMPLES) {
    it(`${example}: every composed log group has a retention, including the ones EKS and RDS write to`, () => {
      const r = render(example);
      const groups = Object.entries(r).filter(([, resource]) => resource.kind === 'Group' && String(resource.apiVersion).startsWith('cloudwatchlogs.'));
      for (const [key, group] of groups) expect(forProvider(group).retentionInDays, key).toBeGreaterThan(0);
      expect(groups.map(([, group]) => externalName(group)).sort()).toEqual([`/aws/eks/${example.split('-')[0]}-cluster/cluster`, `/aws/rds/instance/${example.split('-')[0]}-database/postgresql`, `/aws/vpc/${example.split('-')[0]}/flow-logs`]);
      // Every log type the cluster and database send lands in one of them.
      expect(forProvider(r.cluster).enabledClusterLogTypes).toBeDefined();
      expect(forProvider(r.database).enabledCloudwatchLogsExports).toEqual(['postgresql']);
    });
  }
});
