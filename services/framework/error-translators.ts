/**
 * Library errors that `AppError.from` understands, as one explicit list it always consults
 * (no registration on import: code that maps errors through grpc/server.ts or
 * rest/error-handler.ts alone gets them too). Each translator recognises one family and says
 * what the caller did wrong in words that name the field; unknown errors fall through to
 * INTERNAL. They recognise errors by shape and name, not `instanceof`, so this module loads
 * no library: the CLI maps errors without loading Sequelize.
 *
 * A translator answers with the code, message and field of the AppError to make (errors.ts
 * builds it), so this module needs errors.ts for types only.
 */
import type { ErrorCode } from './errors.js';
import { snakeCase } from './model/casing.js';

export interface Translation {
  code: ErrorCode;
  message: string;
  field?: string;
  /** Keep the library error as the cause (for the logs). */
  keepCause?: boolean;
}

export type LibraryTranslator = (err: unknown) => Translation | undefined;

type Shaped = { name?: unknown; type?: unknown; status?: unknown; errno?: unknown; code?: unknown; details?: unknown; metadata?: unknown; body?: unknown; [key: string]: unknown };

const shaped = (err: unknown): Shaped | undefined => (err !== null && typeof err === 'object' ? (err as Shaped) : undefined);

const invalid = (field: string, problem: string): Translation => ({ code: 'INVALID_ARGUMENT', message: `${field}: ${problem}`, field });

// Zod: the first issue, with its path in the API's (snake_case) field names.
const zod: LibraryTranslator = (err) => {
  const e = shaped(err);
  if (e?.name !== 'ZodError' || !Array.isArray(e.issues)) return undefined;
  const issue = e.issues[0] as { path: PropertyKey[]; message: string };
  const field = issue.path.map((p) => (typeof p === 'string' ? snakeCase(p) : String(p))).join('.') || 'body';
  return invalid(field, issue.message);
};

// Sequelize: unique clashes, plain validation errors, an empty result (by their names).
const sequelize: LibraryTranslator = (err) => {
  const e = shaped(err);
  if (e?.name === 'SequelizeUniqueConstraintError') {
    // PostgreSQL reports the clashing columns as { column: value }, SQLite as [column]:
    // Object.keys of the latter gave "a record with this 0 already exists".
    const columns = Array.isArray(e.fields) ? (e.fields as string[]) : Object.keys((e.fields as object | undefined) ?? {});
    const what = columns.length > 0 ? columns.map(snakeCase).join(', ') : 'key';
    return { code: 'ALREADY_EXISTS', message: `a record with this ${what} already exists`, keepCause: true };
  }
  if (e?.name === 'SequelizeValidationError') {
    const item = (e.errors as { path?: string; message?: string }[] | undefined)?.[0];
    return invalid(item?.path ? snakeCase(item.path) : 'body', item?.message ?? 'invalid value');
  }
  if (e?.name === 'SequelizeEmptyResultError') return { code: 'NOT_FOUND', message: 'not found' };
  // The same clash from a hot-path statement run without the ORM (db/sql.ts).
  if (e?.name === 'UniqueViolation') return { code: 'ALREADY_EXISTS', message: 'a record with this key already exists', keepCause: true };
  return undefined;
};

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// Express body parsing (body-parser errors carry a `type`).
const bodyParser: LibraryTranslator = (err) => {
  const e = shaped(err);
  const type = e?.type;
  if (type === 'entity.parse.failed') {
    // In strict mode body-parser refuses valid JSON that is not an object or array ("5",
    // "null") with the same error as broken JSON: tell the two apart for the client.
    if (typeof e!.body === 'string' && isJson(e!.body)) return invalid('body', 'must be a JSON object');
    return invalid('body', 'malformed JSON');
  }
  if (type === 'entity.too.large') return { code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' };
  // A url-encoded form (the admin's) with more fields than its parser takes.
  if (type === 'parameters.too.many') return invalid('body', 'too many form fields');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: unsupported encoding (send UTF-8 JSON, optionally gzip or deflate)', field: 'body' };
  }
  // A body that is not valid in its Content-Encoding (broken or truncated gzip, deflate, br):
  // body-parser passes zlib's own error on with status 400 and no type.
  if (e && type === undefined && e.status === 400 && typeof e.errno === 'number') {
    return invalid('body', 'could not be decompressed as its Content-Encoding says (send valid gzip, deflate or br, or no Content-Encoding)');
  }
  if (type === 'request.size.invalid' || type === 'request.aborted') return invalid('body', 'the request body did not match its Content-Length');
  return undefined;
};

// Express routing: a path parameter with broken percent-encoding ("/api/products/%E0%A4%A")
// fails to decode before any handler runs.
const routing: LibraryTranslator = (err) => (err instanceof URIError && (err as { status?: unknown }).status === 400 ? invalid('path', 'malformed percent-encoding in the URL') : undefined);

/** The library errors every `AppError.from` understands, in the order they are tried. */
export const LIBRARY_TRANSLATORS: readonly LibraryTranslator[] = [zod, sequelize, bodyParser, routing];
