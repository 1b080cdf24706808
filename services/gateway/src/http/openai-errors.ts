import { invalidArgument, type ServiceError } from '#common/service-error.js';
import type { HttpFailure } from './http-status.js';

/** OpenAI's error types by HTTP status: the SDKs pick their exception class by status, tools read `type`. */
function errorType(httpStatus: number): string {
  if (httpStatus === 401) return 'authentication_error';
  if (httpStatus === 403) return 'permission_error';
  if (httpStatus === 429) return 'rate_limit_error';
  if (httpStatus >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The error object of OpenAI's API, inside `{"error": ...}` (also one server-sent event). */
export const openAiError = (failure: HttpFailure) => ({
  message: failure.message,
  type: errorType(failure.httpStatus),
  param: failure.param ?? null,
  code: failure.code,
});

// The SDKs raise this as APIError (BadRequestError, NotFoundError...) with this message.
export const openAiErrorBody = (failure: HttpFailure): string => JSON.stringify({ error: openAiError(failure) });

/** An INVALID_ARGUMENT that names the form field at fault (OpenAI's `param`). */
export const invalidParam = (param: string, message: string): ServiceError =>
  Object.assign(invalidArgument(message), { param });
