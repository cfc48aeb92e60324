import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';

const Client = grpc.makeGenericClientConstructor(FunctionRunnerServiceService, 'FunctionRunnerService');

/** A RunFunction client for tests. */
export function newClient(target: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): grpc.Client {
  return new Client(target, credentials, { 'grpc.max_send_message_length': 64 << 20, ...options });
}

/** One RunFunction call. */
export function call(client: grpc.Client, request: RunFunctionRequest, deadlineMs = 10_000): Promise<RunFunctionResponse> {
  const method = FunctionRunnerServiceService.runFunction;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error || response === undefined) reject(error ?? new Error('no response'));
      else resolve(response);
    });
  });
}

/** Sends raw bytes as a RunFunction request, bypassing protobuf encoding. */
export function callRaw(client: grpc.Client, body: Buffer): Promise<unknown> {
  const method = FunctionRunnerServiceService.runFunction;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, (b: Buffer) => b, method.responseDeserialize, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}
