import * as grpc from '@grpc/grpc-js';

/**
 * The gRPC health checking protocol (`grpc.health.v1.Health`, Check and Watch).
 *
 * Written here rather than taken from `grpc-health-check` (2.1): that package
 * loads `health.proto` from its own directory with @grpc/proto-loader when it is
 * imported, and the runtime image holds one bundled file and no node_modules, so
 * the import would fail at start-up. The two messages are one field each, so
 * their protobuf encoding is a few lines.
 */

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  /** Only sent by Watch, for a service the server does not know. */
  SERVICE_UNKNOWN = 3,
}

/** `grpc.health.v1.HealthCheckRequest`. */
export interface HealthCheckRequest {
  service: string;
}

/** `grpc.health.v1.HealthCheckResponse`. */
export interface HealthCheckResponse {
  status: ServingStatus;
}

/** The RunFunction service's full name, as a health client names it. */
export const FUNCTION_RUNNER_SERVICE = 'apiextensions.fn.proto.v1.FunctionRunnerService';

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i] ?? 0;
    // Values above 2^53 lose precision; the only varints we read are tags and lengths.
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error('malformed varint');
}

/** Decodes a HealthCheckRequest, skipping unknown fields as protobuf requires. */
export function decodeHealthCheckRequest(bytes: Uint8Array): HealthCheckRequest {
  let service = '';
  let at = 0;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (wireType === 0) {
      at = readVarint(bytes, at).next;
    } else if (wireType === 1) {
      at += 8;
    } else if (wireType === 5) {
      at += 4;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      const end = length.next + length.value;
      if (end > bytes.length) throw new Error('malformed length-delimited field');
      if (field === 1) service = Buffer.from(bytes.subarray(length.next, end)).toString('utf8');
      at = end;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
    if (at > bytes.length) throw new Error('truncated message');
  }
  return { service };
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** Encodes a HealthCheckRequest (for clients and tests). */
export function encodeHealthCheckRequest(request: HealthCheckRequest): Buffer {
  if (request.service === '') return Buffer.alloc(0);
  const service = Buffer.from(request.service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(service.length)]), service]);
}

/** Encodes a HealthCheckResponse; UNKNOWN (0) is the default and is omitted, as proto3 does. */
export function encodeHealthCheckResponse(response: HealthCheckResponse): Buffer {
  return response.status === ServingStatus.UNKNOWN ? Buffer.alloc(0) : Buffer.from([0x08, ...encodeVarint(response.status)]);
}

/** Decodes a HealthCheckResponse (for clients and tests). */
export function decodeHealthCheckResponse(bytes: Uint8Array): HealthCheckResponse {
  let status = ServingStatus.UNKNOWN;
  let at = 0;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    const value = readVarint(bytes, tag.next);
    if (tag.value === 0x08) status = value.value as ServingStatus;
    at = value.next;
  }
  return { status };
}

const serializeRequest = (request: HealthCheckRequest) => encodeHealthCheckRequest(request);
const deserializeRequest = (bytes: Buffer) => decodeHealthCheckRequest(bytes);
const serializeResponse = (response: HealthCheckResponse) => encodeHealthCheckResponse(response);
const deserializeResponse = (bytes: Buffer) => decodeHealthCheckResponse(bytes);

/** The `grpc.health.v1.Health` service definition (Check and Watch), for servers and clients. */
export const HEALTH_SERVICE = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: serializeRequest,
    requestDeserialize: deserializeRequest,
    responseSerialize: serializeResponse,
    responseDeserialize: deserializeResponse,
  },
  watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: serializeRequest,
    requestDeserialize: deserializeRequest,
    responseSerialize: serializeResponse,
    responseDeserialize: deserializeResponse,
  },
} satisfies grpc.ServiceDefinition;

type Watcher = (status: ServingStatus) => void;

/**
 * The serving status of each service name this process reports, shared by every
 * server the Health service is registered on (the mTLS RunFunction port and the
 * plaintext probe port), so a probe sees what Crossplane's connection sees.
 */
export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly streams = new Set<grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();

  /** Services start NOT_SERVING: nothing answers until the server has bound its port. */
  constructor(services: readonly string[] = ['', FUNCTION_RUNNER_SERVICE]) {
    for (const service of services) this.statuses.set(service, ServingStatus.NOT_SERVING);
  }

  /** Sets every known service's status and tells their watchers. */
  setAll(status: ServingStatus): void {
    for (const service of this.statuses.keys()) this.set(service, status);
  }

  /** Sets one service's status and tells its watchers when it changed. */
  set(service: string, status: ServingStatus): void {
    const previous = this.statuses.get(service);
    this.statuses.set(service, status);
    if (previous === status) return;
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  /** The status of a service, or undefined for a service this process does not report. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /**
   * Ends every open Watch stream. Called once NOT_SERVING has been sent at
   * shutdown: a graceful shutdown waits for open calls, and a watch never ends
   * on its own, so it would hold the process for the whole grace period.
   */
  endWatches(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  /** Registers Check and Watch on a server. */
  addTo(server: grpc.Server): void {
    const check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${call.request.service.slice(0, 200)}"` });
      else callback(null, { status });
    };
    const watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
      const { service } = call.request;
      const watcher: Watcher = (status) => call.write({ status });
      const set = this.watchers.get(service) ?? new Set<Watcher>();
      // Watching a service not reported yet is allowed (it answers SERVICE_UNKNOWN),
      // but only for known names: any name would let a client grow this map without bound.
      const known = this.statuses.has(service);
      if (known) {
        set.add(watcher);
        this.watchers.set(service, set);
      }
      this.streams.add(call);
      const stop = () => {
        set.delete(watcher);
        this.streams.delete(call);
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
    };
    server.addService(HEALTH_SERVICE, { check, watch });
  }
}
