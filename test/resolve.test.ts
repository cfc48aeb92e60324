import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FatalError } from '../functions/platform/src/errors.js';
import { ENVIRONMENT_CONFIGS_REQUIREMENT, platformConfigLayers } from '../functions/platform/src/environment-config/platform-config.js';
import { mergePatch, resolveConfig } from '../functions/platform/src/environment-config/resolve.js';

const config = (name: string, environment: string, data: unknown) => ({
  resource: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name, labels: { 'platform.projectcatalyst.io/environment': environment } }, data },
});
const fetchedConfigs = (...items: ReturnType<typeof config>[]) => ({ [ENVIRONMENT_CONFIGS_REQUIREMENT]: { items } });

describe('mergePatch', () => {
  it('merges objects, replaces lists and values, and removes on null', () => {
    expect(mergePatch({ a: { b: 1, c: [1, 2] }, d: 'x', e: 1 }, { a: { c: [3] }, d: 'y', e: null })).toEqual({ a: { b: 1, c: [3] }, d: 'y' });
  });
  it('does not modify its inputs', () => {
    const base = { a: { b: 1 } };
    mergePatch(base, { a: { b: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe('resolveConfig', () => {
  const layers = platformConfigLayers('dev');
  const schema = z.object({ size: z.number().int().max(10), name: z.string() }).strict();

  it('picks base then the environment by label among every fetched config, then the override', () => {
    const supplied = fetchedConfigs(config('prod', 'prod', { size: 9 }), config('dev', 'dev', { size: 2 }), config('base', 'base', { size: 1, name: 'base' }));
    expect(resolveConfig(layers, supplied, schema, { source: 'spec.overrides', data: { size: 3 } })).toEqual({ size: 3, name: 'base' });
    expect(resolveConfig(layers, supplied, schema)).toEqual({ size: 2, name: 'base' });
  });

  it('fails, naming the Composition, when Crossplane did not fetch the configs', () => {
    expect(() => resolveConfig(layers, {}, schema)).toThrow(
      new FatalError('cannot find required resources "environment-configs": the Composition must fetch them (pipeline step requirements); install the Composition this function release generates'),
    );
  });

  it('blames the layer whose value won the merge', () => {
    const supplied = fetchedConfigs(config('base', 'base', { size: 1, name: 'base' }), config('dev', 'dev', { size: 20 }));
    expect(() => resolveConfig(layers, supplied, schema)).toThrow('cannot use EnvironmentConfig "dev": data.size: too big: expected number to be <=10');
    expect(() => resolveConfig(layers, supplied, schema, { source: 'spec.overrides', data: { size: 30 } })).toThrow('cannot use spec.overrides: data.size');
  });

  it('names every layer for a field nobody set', () => {
    const supplied = fetchedConfigs(config('base', 'base', { size: 1 }), config('dev', 'dev', {}));
    expect(() => resolveConfig(layers, supplied, schema)).toThrow('cannot use EnvironmentConfig "base" + EnvironmentConfig "dev": data.name: required field is missing');
  });

  it('fails on a missing and on an ambiguous config, naming what it looked for', () => {
    expect(() => resolveConfig(layers, fetchedConfigs(), schema)).toThrow(
      new FatalError('cannot find EnvironmentConfig labelled platform.projectcatalyst.io/environment=base: it is required and does not exist'),
    );
    const two = fetchedConfigs(config('base-b', 'base', {}), config('base-a', 'base', {}), config('dev', 'dev', {}));
    expect(() => resolveConfig(layers, two, schema)).toThrow('cannot choose EnvironmentConfig labelled platform.projectcatalyst.io/environment=base: 2 match (base-a, base-b), exactly one must');
  });
});
