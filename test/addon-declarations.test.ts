import { describe, expect, it } from 'vitest';
import { Severity } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { ADDON_CHARTS, ADDON_FEATURES, ADDONS } from '../functions/platform/src/kinds/environment/addons/index.js';
import { findChart } from '../scripts/lib/charts.js';
import { environmentRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { forProvider, settledExample } from './helpers/settled-checks.js';

/**
 * Each add-on declares its chart and the feature flags it reads in its own
 * file; the EnvironmentConfig overrides them. These tests hold the derived
 * tables to the catalog and the config contract to what it was.
 */

const chartOf = (resources: Record<string, JsonObject>, addon: string) => forProvider(resources[`release-${addon}`]).chart as JsonObject;

describe('add-on declarations', () => {
  it('give every declared chart as the chart catalog has it (repository, chart, version)', () => {
    const wrong = Object.entries(ADDON_CHARTS).flatMap(([name, chart]) => {
      const entry = findChart(chart.repository, chart.chart);
      return entry === undefined ? [`${name}: ${chart.repository} ${chart.chart} not in the catalog`] : entry.version === chart.version ? [] : [`${name}: ${chart.version}, catalog ${entry.version}`];
    });
    expect(wrong).toEqual([]);
  });

  it('derive the config flags from the add-ons, with their defaults', () => {
    expect(Object.keys(ADDON_FEATURES).sort()).toEqual(['cilium', 'falco', 'falcoKillMode', 'goldilocks', 'hubbleUi', 'kyverno', 'metricsServer', 'reloader', 'trivyAdmission', 'veleroBackups']);
    expect(Object.entries(ADDON_FEATURES).filter(([, f]) => f.default).map(([name]) => name).sort()).toEqual(['metricsServer', 'reloader']);
    // Each flag is declared once: two add-ons declaring one would hide one default.
    const declared = ADDONS.flatMap((addon) => Object.keys(addon.features ?? {}));
    expect(new Set(declared).size).toBe(declared.length);
  });
});

describe('the EnvironmentConfig over the add-ons\' declarations', () => {
  const dev = settledExample('dev');

  const cases: Array<{ reason: string; overrides: JsonObject; addon: string; want: JsonObject }> = [
    {
      reason: 'nothing set: the add-on\'s own chart',
      overrides: {},
      addon: 'cert-manager',
      want: { repository: 'https://charts.jetstack.io', name: 'cert-manager', version: 'v1.21.1' },
    },
    {
      reason: 'a version pin alone keeps the repository and chart',
      overrides: { addons: { 'cert-manager': { version: 'v1.20.2' } } },
      addon: 'cert-manager',
      want: { repository: 'https://charts.jetstack.io', name: 'cert-manager', version: 'v1.20.2' },
    },
    {
      reason: 'a whole entry, as configs wrote them before, still works (a mirror)',
      overrides: { addons: { keda: { repository: 'https://charts.example.internal/keda', chart: 'keda', version: '2.20.2' } } },
      addon: 'keda',
      want: { repository: 'https://charts.example.internal/keda', name: 'keda', version: '2.20.2' },
    },
  ];

  it.each(cases.map((c) => [c.reason, c] as const))('%s', (_reason, c) => {
    const resources = Object.keys(c.overrides).length === 0 ? dev : settledExample('dev', c.overrides);
    expect(chartOf(resources, c.addon)).toEqual(c.want);
  });

  it('turns an add-on on with its flag and leaves defaults to the add-on', () => {
    expect(dev['release-goldilocks']).toBeUndefined();
    expect(dev['release-reloader']).toBeDefined();
    const withGoldilocks = settledExample('dev', { features: { goldilocks: true, reloader: false } });
    expect(withGoldilocks['release-goldilocks']).toBeDefined();
    expect(withGoldilocks['release-reloader']).toBeUndefined();
  });

  it('refuses a flag no add-on declares, naming where it was set', () => {
    const example = readManifest('examples/environment/dev.yaml');
    const xr: JsonObject = { ...example, metadata: { ...(example.metadata as JsonObject), uid: 'u' }, spec: { ...(example.spec as JsonObject), overrides: { features: { goldilocksPlus: true } } } };
    const required = environmentRequired();
    const { response } = runFunction(request(xr, { required }), { ttlSeconds: 60 });
    expect(response.results.map((r) => r.severity)).toEqual([Severity.SEVERITY_FATAL]);
    expect(response.results[0]?.message).toMatch(/cannot use spec\.overrides: data\.features: .*goldilocksPlus/);
  });
});
