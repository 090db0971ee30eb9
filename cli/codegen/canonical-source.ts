/**
 * The source of `canonical.ts` (`canonical.js` in a stub package), written into the
 * generated stubs: it makes the proto-loader stubs encode as protoc's generators do.
 *
 * proto3's canonical encoding leaves out a field that holds its default ('', 0, false, an
 * empty bytes value, the first enum value); protobufjs writes any field the object has, so a
 * message with `image: ''` was two bytes longer than the same message from google-protobuf
 * (grpc-tools stubs) or Python. Each reads the other's bytes alike, but the bytes differed.
 * Each method's serializers are wrapped to drop such fields first; fields in a oneof and
 * `optional` fields keep them (there, presence is the value), and repeated and map fields are
 * never dropped (their entries are messages walked the same way).
 *
 * Plain JavaScript without annotations, so one text serves the TypeScript stubs (with
 * `@ts-nocheck`) and the JavaScript stub package.
 */
export const CANONICAL_SOURCE = `
const SCALARS = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes']);

function isDefault(value) {
  if (value === '' || value === 0 || value === false || value === '0' || value === 0n) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  return typeof value === 'object' && value !== null && typeof value.isZero === 'function' && value.isZero();
}

/** Every message and enum of a protobufjs JSON root, by full name. */
function index(root) {
  const types = new Map();
  const visit = (scope, nested) => {
    for (const [name, node] of Object.entries(nested || {})) {
      const full = scope ? scope + '.' + name : name;
      types.set(full, node);
      visit(full, node.nested);
    }
  };
  visit('', root.nested);
  return types;
}

/** Resolves a type reference as protobufjs does: innermost scope outwards, or absolute. */
function resolve(types, scope, name) {
  if (name.startsWith('.')) return name.slice(1);
  const parts = scope.split('.');
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), name].join('.');
    if (types.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * For a message type, its fields as an array (walked with an index on every message sent:
 * no iterator or entry pair per field): whether a default value may be dropped, and the
 * field's message type.
 */
function shapeOf(types, shapes, full) {
  if (shapes.has(full)) return shapes.get(full);
  const node = types.get(full);
  const shape = [];
  shapes.set(full, shape);
  const inOneof = new Set(Object.values(node.oneofs || {}).flatMap((oneof) => oneof.oneof || []));
  const scope = full.slice(0, full.lastIndexOf('.'));
  for (const [name, field] of Object.entries(node.fields || {})) {
    const target = SCALARS.has(field.type) ? undefined : resolve(types, full, field.type) || resolve(types, scope, field.type);
    const isMessage = target !== undefined && types.get(target).fields !== undefined;
    const values = target !== undefined ? types.get(target).values : undefined;
    const optional = field.options && field.options.proto3_optional;
    shape.push({
      name,
      droppable: !field.rule && !field.keyType && !isMessage && !inOneof.has(name) && !optional,
      // An enum's default is its value 0, which the loader may show by name.
      enumZero: values ? Object.keys(values).find((key) => values[key] === 0) : undefined,
      message: isMessage && !field.keyType ? target : undefined,
      repeated: field.rule === 'repeated',
    });
  }
  return shape;
}

/**
 * What the serializer is given instead of value: the fields at their default that proto3
 * leaves out are undefined in a copy (the same object when there are none). protobufjs's
 * fromObject skips an undefined field as it skips a missing one; setting it rather than
 * deleting it keeps the copy a fast-mode object.
 */
function canonical(types, shapes, full, value) {
  if (value === null || typeof value !== 'object') return value;
  const shape = shapeOf(types, shapes, full);
  let out = value;
  for (let i = 0; i < shape.length; i++) {
    const field = shape[i];
    const current = value[field.name];
    if (current === undefined || !Object.prototype.hasOwnProperty.call(value, field.name)) continue;
    let next = current;
    if (field.droppable && (isDefault(current) || (field.enumZero !== undefined && current === field.enumZero))) next = undefined;
    else if (field.message && field.repeated && Array.isArray(current)) {
      const entries = current.map((entry) => canonical(types, shapes, field.message, entry));
      if (entries.some((entry, k) => entry !== current[k])) next = entries;
    } else if (field.message) next = canonical(types, shapes, field.message, current);
    if (next === current) continue;
    if (out === value) out = { ...value };
    out[field.name] = next;
  }
  return out;
}

/** Wraps every method's serializers in definition to write canonical proto3. */
export function canonicalSerializers(definition, root) {
  const types = index(root);
  const shapes = new Map();
  for (const [full, node] of types) {
    if (!node.methods) continue;
    const service = definition[full];
    if (!service) continue;
    const scope = full.slice(0, full.lastIndexOf('.'));
    for (const [name, method] of Object.entries(node.methods)) {
      const loaded = service[name];
      if (!loaded) continue;
      const request = resolve(types, scope, method.requestType);
      const response = resolve(types, scope, method.responseType);
      const requestSerialize = loaded.requestSerialize;
      const responseSerialize = loaded.responseSerialize;
      if (request) loaded.requestSerialize = (value) => requestSerialize(canonical(types, shapes, request, value));
      if (response) loaded.responseSerialize = (value) => responseSerialize(canonical(types, shapes, response, value));
    }
  }
}
`;
