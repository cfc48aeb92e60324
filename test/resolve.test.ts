import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FatalError } from '../functions/platform/src/errors.js';
import { platformConfigLayers } from '../functions/platform/src/environment-config/platform-config.js';
import { mergePatch, requirementsFor, resolveConfig } from '../functions/platform/src/environment-config/resolve.js';

const config = (name: string, data: unknown) => ({ resource: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name }, data } });

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

  it('asks for base then the environment by label', () => {
    expect(requirementsFor(layers)).toEqual({
      'environment-config-base': { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', matchLabels: { labels: { 'platform.projectcatalyst.io/environment': 'base' } } },
      'environment-config-environment': { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', matchLabels: { labels: { 'platform.projectcatalyst.io/environment': 'dev' } } },
    });
  });

  it('is pending until every layer is supplied', () => {
    expect(resolveConfig(layers, { 'environment-config-base': { items: [config('base', {})] } }, schema)).toEqual({ state: 'pending' });
  });

  it('merges base, then the environment, then the override', () => {
    const supplied = { 'environment-config-base': { items: [config('base', { size: 1, name: 'base' })] }, 'environment-config-environment': { items: [config('dev', { size: 2 })] } };
    expect(resolveConfig(layers, supplied, schema, { source: 'spec.overrides', data: { size: 3 } })).toEqual({ state: 'resolved', data: { size: 3, name: 'base' } });
  });

  it('blames the layer whose value won the merge', () => {
    const supplied = { 'environment-config-base': { items: [config('base', { size: 1, name: 'base' })] }, 'environment-config-environment': { items: [config('dev', { size: 20 })] } };
    expect(() => resolveConfig(layers, supplied, schema)).toThrow('cannot use EnvironmentConfig "dev": data.size: too big: expected number to be <=10');
    expect(() => resolveConfig(layers, supplied, schema, { source: 'spec.overrides', data: { size: 30 } })).toThrow('cannot use spec.overrides: data.size');
  });

  it('names every layer for a field nobody set', () => {
    const supplied = { 'environment-config-base': { items: [config('base', { size: 1 })] }, 'environment-config-environment': { items: [config('dev', {})] } };
    expect(() => resolveConfig(layers, supplied, schema)).toThrow('cannot use EnvironmentConfig "base" + EnvironmentConfig "dev": data.name: required field is missing');
  });

  it('fails on a missing and on an ambiguous config, naming what it looked for', () => {
    expect(() => resolveConfig(layers, { 'environment-config-base': { items: [] }, 'environment-config-environment': { items: [] } }, schema)).toThrow(
      new FatalError('cannot find EnvironmentConfig labelled platform.projectcatalyst.io/environment=base: it is required and does not exist'),
    );
    const two = { 'environment-config-base': { items: [config('base-b', {}), config('base-a', {})] }, 'environment-config-environment': { items: [] } };
    expect(() => resolveConfig(layers, two, schema)).toThrow('cannot choose EnvironmentConfig labelled platform.projectcatalyst.io/environment=base: 2 match (base-a, base-b), exactly one must');
  });
});
