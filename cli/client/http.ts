/**
 * One small JSON-over-HTTP client per REST service. Every failure becomes one readable
 * sentence (the CLI's error handler prints `error: <message>`): a service that cannot be
 * reached names its URL and how to start it; an HTTP error is the server's own message.
 *
 * @example
 *   const dashboard = new ServiceClient('dashboard', 'http://127.0.0.1:10008');
 *   const { data, raw } = await dashboard.request<Product[]>('GET', '/api/products');
 */
import type { ApiErrorBody } from './types.js';

export type ServiceName = 'dashboard' | 'product';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ApiResponse<T> {
  status: number;
  /** The parsed body (undefined for an empty one, e.g. 204 after DELETE). */
  data: T;
  /** The body exactly as the server sent it, for `--json`. */
  raw: string;
}

/** The service did not answer at all (nothing listening, DNS, timeout…). */
export class ServiceUnreachableError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly baseUrl: string,
    readonly reason: string,
    options?: { cause?: unknown; from?: string },
  ) {
    const from = options?.from ? `; address from ${options.from}` : '';
    super(`cannot reach the ${service} at ${baseUrl} (${reason}${from}) — is it running? start everything with \`mgrpc up\`, or see \`mgrpc status\``, options);
    this.name = 'ServiceUnreachableError';
  }
}

/** The service answered with an error status; `message` is the server's own. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Socket error codes in words, for every "cannot reach" message (REST here, gRPC in cli/grpc-tools/invoke.ts). */
export const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/**
 * A short reason for a rejected fetch. undici wraps the socket error as `cause`, and an
 * AggregateError of one error per address when a host name resolves to several.
 */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const codes: unknown[] = [(cause as { code?: unknown })?.code];
  if (cause instanceof AggregateError) codes.push(...cause.errors.map((e: { code?: unknown }) => e?.code));
  for (const code of codes) {
    if (typeof code === 'string') return NETWORK_REASONS[code] ?? code;
  }
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The base URL as users write it, without a trailing slash: `http://127.0.0.1:10008`. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).message === 'string';
}

export class ServiceClient {
  readonly baseUrl: string;

  constructor(
    readonly service: ServiceName,
    baseUrl: string,
    readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
    /** Sent as X-API-Key with every request; the services want it for writes when they have MGRPC_API_KEY. */
    private readonly apiKey: string | undefined = process.env.MGRPC_API_KEY || undefined,
    /** Where the URL came from (a flag, a variable, the running `up`), named when it cannot be reached. */
    readonly from?: string,
  ) {
    this.baseUrl = normalizeBaseUrl(baseUrl);
  }

  /** `path` starts with `/api/`; `body` is sent as JSON when given. */
  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    let response: Response;
    let raw: string;
    const headers: Record<string, string> = body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      raw = await response.text();
    } catch (err) {
      throw new ServiceUnreachableError(this.service, this.baseUrl, describeNetworkError(err, this.timeoutMs), { cause: err, from: this.from });
    }
    const data = raw === '' ? undefined : parseJson(raw);
    if (!response.ok) {
      if (response.status === 401 && isErrorBody(data)) {
        const hint = this.apiKey ? 'check MGRPC_API_KEY: it is not the key the services have' : 'set MGRPC_API_KEY to the key the services have';
        throw new ApiError(401, data.code, `${data.message} (${hint})`, data.field);
      }
      if (isErrorBody(data)) throw new ApiError(response.status, data.code, data.message, data.field);
      throw new ApiError(response.status, 'HTTP_ERROR', `${this.notUs()} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${this.hint()}`);
    }
    if (raw !== '' && data === undefined) {
      throw new ApiError(response.status, 'NOT_JSON', `${this.notUs()} answered with something that is not JSON${this.hint()}`);
    }
    return { status: response.status, data: data as T, raw };
  }

  private notUs(): string {
    return `the ${this.service} at ${this.baseUrl}`;
  }

  private hint(): string {
    return ` — is that the ${this.service}'s REST address? (set it with --${this.service} or MGRPC_${this.service.toUpperCase()}_URL)`;
  }
}
