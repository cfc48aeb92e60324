import { z } from 'zod';
import type { AnyKindDefinition } from '../../functions/platform/src/kinds/index.js';
import { API_GROUP, API_GROUP_VERSION, API_VERSION } from '../../functions/platform/src/composite.js';
import type { FetchedResources } from '../../functions/platform/src/environment-config/resolve.js';
import { FUNCTION_NAME } from '../../functions/platform/src/release.js';
import { toOpenApiSchema } from './openapi.js';

/**
 * Name of the Function object every Composition calls: the one the
 * Configuration's dependsOn installs for this release series
 * (functions/platform/src/release.ts derives it from package.json).
 */
export { FUNCTION_NAME };

/** Name of the one Composition per kind: the kind in lowercase. */
export function compositionName(definition: AnyKindDefinition): string {
  return definition.kind.toLowerCase();
}

/**
 * The XRD of a kind, generated from its zod schemas: the one source of truth
 * shared with the function's run-time validation.
 */
export function compositeResourceDefinition(definition: AnyKindDefinition): Record<string, unknown> {
  const openAPIV3Schema = toOpenApiSchema(
    z
      .object({ spec: definition.spec, status: definition.status.optional() })
      .describe(definition.description),
  );
  return {
    apiVersion: 'apiextensions.crossplane.io/v2',
    kind: 'CompositeResourceDefinition',
    metadata: { name: `${definition.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: { kind: definition.kind, plural: definition.plural, categories: [...definition.categories] },
      scope: 'Namespaced',
      defaultCompositionRef: { name: compositionName(definition) },
      versions: [
        {
          name: API_VERSION,
          served: true,
          referenceable: true,
          additionalPrinterColumns: definition.printerColumns.map((column) => ({ ...column })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

function requiredResource({ requirementName, apiVersion, kind, name, matchLabels }: FetchedResources): Record<string, unknown> {
  return {
    requirementName,
    apiVersion,
    kind,
    ...(name !== undefined ? { name } : {}),
    ...(matchLabels !== undefined ? { matchLabels: { ...matchLabels } } : {}),
  };
}

/** The Pipeline Composition of a kind: one step, this package's function. */
export function composition(definition: AnyKindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: {
      name: compositionName(definition),
      labels: { [`${API_GROUP}/kind`]: definition.kind.toLowerCase() },
    },
    spec: {
      compositeTypeRef: { apiVersion: API_GROUP_VERSION, kind: definition.kind },
      mode: 'Pipeline',
      pipeline: [
        {
          step: 'compose',
          functionRef: { name: FUNCTION_NAME },
          ...(definition.requirements.length > 0 ? { requirements: { requiredResources: definition.requirements.map(requiredResource) } } : {}),
        },
      ],
    },
  };
}
