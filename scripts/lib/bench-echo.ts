/**
 * The benchmark's floor: a bare gRPC server on the RunFunction path that
 * answers each request with the bytes the function would answer, computed
 * once up front. No decoding, no composing, no logging: what is left is
 * gRPC, HTTP/2 and loopback. Run by scripts/bench.ts as a child process so it
 * gets its own event loop, as the function does.
 *
 *   node --import tsx scripts/lib/bench-echo.ts
 *
 * The client names the case in the `bench-case` metadata (the same index as
 * {@link allBenchCases}); prints `{"msg":"serving","port":N}` once bound.
 */
import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService } from '@crossplane-org/function-sdk-typescript';
import { DEFAULT_MAX_RECV_MESSAGE_BYTES } from '../../functions/platform/src/server.js';
import { allBenchCases } from './bench-cases.js';

const responses = allBenchCases().map((c) => c.responseBytes);
const identity = (b: Buffer) => b;

const server = new grpc.Server({
  'grpc.max_receive_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
  'grpc.max_send_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
});
const echo: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
  const index = Number(call.metadata.get('bench-case')[0] ?? -1);
  const response = responses[index];
  if (response === undefined) callback({ code: grpc.status.INVALID_ARGUMENT, details: `no bench case ${index}` });
  else callback(null, response);
};
server.addService(
  {
    runFunction: {
      path: FunctionRunnerServiceService.runFunction.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  { runFunction: echo },
);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    process.stderr.write(`bench-echo: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ msg: 'serving', port })}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
