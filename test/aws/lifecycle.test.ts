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

/** base merged with dev's config one level deep: enough for a complete config to vary one field of. */
function devConfig(): JsonObject {
  const base = readManifest('environment-configs/base.yaml').data as JsonObject;
  const dev = readManifest('environment-configs/dev.yaml').data as JsonObject;
  return Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(dev)])].map((key) => {
    const [a, b] = [base[key], dev[key]];
    const objects = typeof a === 'object' && a !== null && !Array.isArray(a) && typeof b === 'object' && b !== null;
    return [key, objects ? { ...(a as JsonObject), ...(b as JsonObject) } : (b ?? a)];
  }));
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
    const config = devConfig();
    expect(platformConfigSchema.safeParse(config).success).toBe(true);
    const result = platformConfigSchema.safeParse({ ...config, nodes: { ...(config.nodes as JsonObject), amiAlias: 'al2023@latest' } });
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['nodes.amiAlias: must be bottlerocket@latest or a pinned release such as bottlerocket@v1.64.0']);
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
      const environment = example.split('-')[0];
      // An Amazon Managed Prometheus workspace (observability aws-managed) logs to a group of its own.
      const prometheus = r['amp-workspace'] !== undefined ? [`/aws/vendedlogs/prometheus/${environment}-cluster`] : [];
      expect(groups.map(([, group]) => externalName(group)).sort()).toEqual(
        [`/aws/eks/${environment}-cluster/cluster`, `/aws/rds/instance/${environment}-database/postgresql`, ...prometheus, `/aws/vpc/${environment}/flow-logs`].sort(),
      );
      // Every log type the cluster and database send lands in one of them.
      expect(forProvider(r.cluster).enabledClusterLogTypes).toBeDefined();
      expect(forProvider(r.database).enabledCloudwatchLogsExports).toEqual(['postgresql']);
    });
  }
});

describe('database windows', () => {
  const config = devConfig();
  const withDatabase = (database: JsonObject) => platformConfigSchema.safeParse({ ...config, database: { ...(config.database as JsonObject), backupWindow: '02:00-03:00', maintenanceWindow: 'sun:03:30-sun:04:30', ...database } });
  const messages = (database: JsonObject) => {
    const result = withDatabase(database);
    return result.success ? [] : result.error.issues.map((i) => i.message);
  };
  const cases = [
    { reason: "base's windows: backups 02:00-03:00, maintenance Sunday 03:30-04:30", database: {}, want: [] },
    { reason: 'a backup window inside the maintenance window', database: { backupWindow: '03:45-04:15' }, want: ['backupWindow and maintenanceWindow: must not overlap (RDS refuses it); move one of them'] },
    { reason: 'a daily backup window wrapping midnight into a Monday maintenance window', database: { backupWindow: '23:45-00:30', maintenanceWindow: 'mon:00:00-mon:00:30' }, want: ['backupWindow and maintenanceWindow: must not overlap (RDS refuses it); move one of them'] },
    { reason: 'a maintenance window wrapping from Sunday into Monday, clear of the backups', database: { backupWindow: '02:00-03:00', maintenanceWindow: 'sun:23:30-mon:00:30' }, want: [] },
    { reason: 'a backup window shorter than 30 minutes', database: { backupWindow: '02:00-02:15' }, want: ['backupWindow: must be at least 30 minutes long (RDS)'] },
    { reason: 'a Performance Insights retention RDS does not offer', database: { performanceInsightsRetentionDays: 30 }, want: ['must be 0 (off), 7, a multiple of 31 up to 713, or 731'] },
    { reason: 'a log retention CloudWatch does not offer', database: { logRetentionDays: 10 }, want: [expect.stringMatching(/^must be a CloudWatch Logs retention/)] },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      expect(messages(c.database)).toEqual(c.want);
    });
  }
});
