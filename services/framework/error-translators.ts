/**
 * Library errors that `AppError.from` understands. Each translator recognises one family
 * and says what the caller did wrong in words that name the field; unknown errors fall
 * through to INTERNAL. Imported for its side effect by the framework's index.
 */
import { UniqueConstraintError, ValidationError as SequelizeValidationError, EmptyResultError } from 'sequelize';
import { ZodError } from 'zod';

import { UniqueViolation } from './db/sql.js';
import { AppError, codeForGrpcStatus, registerErrorTranslator } from './errors.js';
import { snakeCase } from './model/casing.js';

// Zod: the first issue, with its path in the API's (snake_case) field names.
registerErrorTranslator((err) => {
  if (!(err instanceof ZodError)) return undefined;
  const issue = err.issues[0];
  const field = issue.path.map((p) => (typeof p === 'string' ? snakeCase(p) : String(p))).join('.') || 'body';
  return AppError.invalid(field, issue.message);
});

// Sequelize: unique clashes before plain validation errors (the former extends the latter).
registerErrorTranslator((err) => {
  if (err instanceof UniqueConstraintError) {
    // PostgreSQL reports the clashing columns as { column: value }, SQLite as [column]:
    // Object.keys of the latter gave "a record with this 0 already exists".
    const columns = Array.isArray(err.fields) ? (err.fields as string[]) : Object.keys(err.fields ?? {});
    const fields = columns.map(snakeCase);
    const what = fields.length > 0 ? fields.join(', ') : 'key';
    return new AppError('ALREADY_EXISTS', `a record with this ${what} already exists`, { cause: err });
  }
  if (err instanceof SequelizeValidationError) {
    const item = err.errors[0];
    const field = item?.path ? snakeCase(item.path) : 'body';
    return AppError.invalid(field, item?.message ?? 'invalid value');
  }
  if (err instanceof EmptyResultError) return AppError.notFound('not found');
  // The same clash from a hot-path statement run without the ORM (db/sql.ts).
  if (err instanceof UniqueViolation) return new AppError('ALREADY_EXISTS', 'a record with this key already exists', { cause: err });
  return undefined;
});

// Express body parsing (body-parser errors carry a `type`).
registerErrorTranslator((err) => {
  const e = err as { type?: unknown; body?: unknown } | null;
  const type = e?.type;
  if (type === 'entity.parse.failed') {
    // In strict mode body-parser refuses valid JSON that is not an object or array ("5",
    // "null") with the same error as broken JSON: tell the two apart for the client.
    if (typeof e!.body === 'string' && isJson(e!.body)) return AppError.invalid('body', 'must be a JSON object');
    return new AppError('INVALID_ARGUMENT', 'body: malformed JSON', { field: 'body' });
  }
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'body: request body is too large');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'body: unsupported encoding (send UTF-8 JSON, optionally gzip or deflate)', { field: 'body' });
  }
  // A body that is not valid in its Content-Encoding (broken or truncated gzip, deflate, br):
  // body-parser passes zlib's own error on with status 400 and no type.
  if (e && type === undefined && (e as { status?: unknown }).status === 400 && typeof (e as { errno?: unknown }).errno === 'number') {
    return new AppError('INVALID_ARGUMENT', 'body: could not be decompressed as its Content-Encoding says (send valid gzip, deflate or br, or no Content-Encoding)', { field: 'body' });
  }
  if (type === 'request.size.invalid' || type === 'request.aborted') {
    return new AppError('INVALID_ARGUMENT', 'body: the request body did not match its Content-Length', { field: 'body' });
  }
  return undefined;
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// Express routing: a path parameter with broken percent-encoding ("/api/products/%E0%A4%A")
// fails to decode before any handler runs.
registerErrorTranslator((err) => {
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return AppError.invalid('path', 'malformed percent-encoding in the URL');
  }
  return undefined;
});

// A gRPC status from another service that reached us unwrapped: keep its code and text.
registerErrorTranslator((err) => {
  const e = err as { code?: unknown; details?: unknown; metadata?: unknown } | null;
  if (e && typeof e.code === 'number' && typeof e.details === 'string' && e.metadata !== undefined) {
    const code = codeForGrpcStatus(e.code);
    return code === 'INTERNAL' ? undefined : new AppError(code, e.details, { cause: err });
  }
  return undefined;
});
