/**
 * The bench's request streams, as Crossplane sends them while an XR lives
 * (scripts/lib/crossplane-wire.ts: maps in random order, content tags):
 *
 * - {@link sameContentBodies}: nothing changed between reconciles, so the same
 *   content and tag, each call in another map order.
 * - {@link ChangedRequests}: something changed that the composers do not read,
 *   as between most reconciles: the XR's resourceVersion (its status was
 *   written) and one observed resource's resourceVersion (its provider wrote
 *   its status), a different resource each call, so every call is new content.
 */
import { createHash } from 'node:crypto';
import type { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { crossplaneTag, crossplaneWire, seededRandom } from './crossplane-wire.js';

type JsonObject = Record<string, unknown>;

/** Map orders the streams rotate through. */
const ORDERS = 8;
/** Digits of the call counter written into resourceVersions. */
const DIGITS = 7;

/** `count` encodings of `request` in {@link ORDERS} map orders, rotating: one content, one tag. */
export function sameContentBodies(request: RunFunctionRequest): (call: number) => Buffer {
  const bodies = Array.from({ length: ORDERS }, (_, order) => crossplaneWire(request, seededRandom(order + 1)));
  return (call) => bodies[call % ORDERS] as Buffer;
}

const placeholder = (name: string) => `${name}-${'0'.repeat(DIGITS)}`;

/**
 * Call i's request: the XR's resourceVersion and that of observed resource
 * number i (of those sorted by name) carry i, and the tag is unique to i.
 * Built by writing i into a few known places of a pre-encoded request (one
 * per map order) rather than by encoding a request per call, which for a
 * created Environment takes longer than the call measured.
 */
export class ChangedRequests {
  private readonly bases: Array<{ bytes: Buffer; xrAt: number; resourceAt: number[]; tagAt: number }>;
  private readonly resources: number;

  constructor(
    request: RunFunctionRequest,
    private readonly stream: string,
  ) {
    const names = Object.keys(request.observed?.resources ?? {}).sort();
    this.resources = names.length;
    const composite = request.observed?.composite;
    if (composite?.resource === undefined) throw new Error('a changed request needs an XR');
    const withVersion = (resource: JsonObject, version: string): JsonObject => ({ ...resource, metadata: { ...(resource.metadata as JsonObject), resourceVersion: version } });
    const template: RunFunctionRequest = {
      ...request,
      observed: {
        composite: { ...composite, resource: withVersion(composite.resource, placeholder('xr')) },
        resources: Object.fromEntries(
          names.map((name, index) => {
            const observed = request.observed?.resources[name];
            if (observed?.resource === undefined) throw new Error(`observed resource ${name} has no resource`);
            return [name, { ...observed, resource: withVersion(observed.resource, placeholder(`r${index}`)) }];
          }),
        ),
      },
    };
    const tag = crossplaneTag(template);
    this.bases = Array.from({ length: ORDERS }, (_, order) => {
      const bytes = crossplaneWire(template, seededRandom(order + 1));
      const find = (text: string) => {
        const at = bytes.indexOf(text);
        if (at < 0 || bytes.indexOf(text, at + 1) >= 0) throw new Error(`"${text}" is not once in the encoded request`);
        return at;
      };
      return { bytes, xrAt: find(placeholder('xr')), resourceAt: names.map((_, index) => find(placeholder(`r${index}`))), tagAt: find(tag) };
    });
  }

  /** Call `call`'s request bytes: a fresh copy, its own content and tag. */
  body(call: number): Buffer {
    const base = this.bases[call % ORDERS];
    if (base === undefined) throw new Error('no base');
    const bytes = Buffer.from(base.bytes);
    const counter = String(call % 10 ** DIGITS).padStart(DIGITS, '0');
    const write = (at: number, prefixLength: number) => bytes.write(counter, at + prefixLength + 1, 'latin1');
    write(base.xrAt, 'xr'.length);
    if (this.resources > 0) {
      const index = call % this.resources;
      write(base.resourceAt[index] as number, `r${index}`.length);
    }
    bytes.write(createHash('sha256').update(`${this.stream}:${call}`).digest('hex'), base.tagAt, 'latin1');
    return bytes;
  }
}
