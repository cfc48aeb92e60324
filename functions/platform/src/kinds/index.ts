import type { KindDefinition } from './kind.js';
import { environmentKind } from './environment/compose.js';
import { hubKind } from './hub/compose.js';
import { storageKind } from './storage/compose.js';
import { networkKind } from './network/compose.js';
import { databaseKind } from './database/compose.js';

/**
 * A kind with its spec and config types erased, so kinds of different shapes
 * can share one registry. The run-time schemas keep each one type-safe.
 */
// Why `any`: each definition is generic in its own Spec and Config; the registry
// only passes values a definition's own schemas produced back to it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKindDefinition = KindDefinition<any, any>;

/** Every kind this function composes. Adding a kind is adding it here. */
export const KINDS: readonly AnyKindDefinition[] = [environmentKind, hubKind, storageKind, networkKind, databaseKind];

const byKind = new Map(KINDS.map((definition) => [definition.kind, definition]));

/** The definition for an XR kind, if this function composes it. */
export function findKind(kind: string): AnyKindDefinition | undefined {
  return byKind.get(kind);
}
