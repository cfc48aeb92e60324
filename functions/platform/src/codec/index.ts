/**
 * The function's RunFunction codec: request bytes to the SDK's
 * RunFunctionRequest and RunFunctionResponse to bytes, without the SDK's
 * Struct conversion through intermediate objects. Same values and bytes as
 * the SDK's ts-proto codecs (tested against them); see docs/function.md.
 */
export { decodeRunFunctionRequest } from './request.js';
export { encodeRunFunctionResponse } from './response.js';
