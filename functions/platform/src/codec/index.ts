/**
 * The function's RunFunction codec: request bytes to the SDK's
 * RunFunctionRequest and RunFunctionResponse to bytes, without the SDK's
 * Struct conversion through intermediate objects. Same values and bytes as
 * the SDK's ts-proto codecs (tested against them); see docs/function.md.
 */
import type * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { decodeRunFunctionRequest } from './request.js';
import { encodeRunFunctionResponse } from './response.js';

export { decodeRunFunctionRequest } from './request.js';
export { encodeRunFunctionResponse } from './response.js';

/**
 * The SDK's FunctionRunnerService definition (path, method name, streaming
 * flags; the client-side codecs are kept) with this codec on the server
 * side: what `server.addService` gets.
 */
export const fastFunctionRunnerService = {
  runFunction: {
    ...FunctionRunnerServiceService.runFunction,
    requestDeserialize: decodeRunFunctionRequest as (bytes: Buffer) => RunFunctionRequest,
    responseSerialize: encodeRunFunctionResponse as (response: RunFunctionResponse) => Buffer,
  },
} satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;
