/**
 * How protobuf messages become JavaScript objects, shared by codegen and the runtime loader
 * so the generated types describe exactly what handlers receive.
 *  - camelCase fields (`productId`), the wire is unaffected;
 *  - int64 as decimal strings (no precision loss, JSON-friendly);
 *  - defaults filled in, so a handler sees '' rather than undefined for an unset string.
 */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;
