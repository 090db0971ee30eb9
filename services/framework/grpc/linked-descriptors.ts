/**
 * File descriptors as protoc would write them, for server reflection. proto-loader builds
 * its descriptors with protobufjs from the stubs' JSON, which (1) leaves `dependency` empty,
 * so a file using google.protobuf.Empty does not name the file defining it, and (2) writes
 * type references relative to their scope (`Product`, not `.product.Product`). Reflection
 * clients that link descriptors strictly (grpcurl, evans: Go's protodesc) then fail with
 * "unknown type". This fills in the dependencies and makes every reference fully qualified.
 */
import descriptorExt from 'protobufjs/ext/descriptor/index.js';

interface FieldProto { typeName?: string }
interface MessageProto { name: string; field?: FieldProto[]; nestedType?: MessageProto[]; enumType?: { name: string }[] }
interface MethodProto { inputType?: string; outputType?: string }
interface FileProto { name: string; package?: string; dependency: string[]; messageType?: MessageProto[]; enumType?: { name: string }[]; service?: { name: string; method?: MethodProto[] }[] }

const codec = (descriptorExt as unknown as { FileDescriptorProto: { decode(bytes: Uint8Array): FileProto; encode(file: FileProto): { finish(): Uint8Array } } }).FileDescriptorProto;

/** `.pkg.Outer.Inner` -> the file declaring it. */
function indexSymbols(files: FileProto[]): Map<string, FileProto> {
  const owners = new Map<string, FileProto>();
  const visit = (scope: string, messages: MessageProto[] = [], enums: { name: string }[] = [], file: FileProto) => {
    for (const e of enums) owners.set(`${scope}.${e.name}`, file);
    for (const message of messages) {
      owners.set(`${scope}.${message.name}`, file);
      visit(`${scope}.${message.name}`, message.nestedType, message.enumType, file);
    }
  };
  for (const file of files) visit(file.package ? `.${file.package}` : '', file.messageType, file.enumType, file);
  return owners;
}

/** Resolves `name` the way protoc does: absolute if it starts with '.', else innermost scope outwards. */
function resolve(name: string, scope: string, owners: Map<string, FileProto>): string | undefined {
  if (name.startsWith('.')) return owners.has(name) ? name : undefined;
  const parts = scope.split('.').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const candidate = `.${[...parts.slice(0, i), name].join('.')}`;
    if (owners.has(candidate)) return candidate;
  }
  return undefined;
}

const linked = new WeakMap<object, Buffer[]>();

/** The same files with `dependency` filled in and fully-qualified type references (memoised per list). */
export function linkFileDescriptors(encoded: Uint8Array[]): Buffer[] {
  const cached = linked.get(encoded);
  if (cached) return cached;
  const files = encoded.map((bytes) => codec.decode(bytes));
  const owners = indexSymbols(files);
  for (const file of files) {
    const dependencies = new Set<string>();
    const link = (name: string | undefined, scope: string): string | undefined => {
      if (!name) return name;
      const full = resolve(name, scope, owners);
      if (!full) return name;
      const owner = owners.get(full)!;
      if (owner !== file) dependencies.add(owner.name);
      return full;
    };
    const pkg = file.package ? `.${file.package}` : '';
    const visit = (scope: string, messages: MessageProto[] = []) => {
      for (const message of messages) {
        const inner = `${scope}.${message.name}`;
        for (const field of message.field ?? []) field.typeName = link(field.typeName, inner);
        visit(inner, message.nestedType);
      }
    };
    visit(pkg, file.messageType);
    for (const service of file.service ?? []) {
      for (const method of service.method ?? []) {
        method.inputType = link(method.inputType, pkg);
        method.outputType = link(method.outputType, pkg);
      }
    }
    file.dependency = [...new Set([...(file.dependency ?? []), ...dependencies])].sort();
  }
  const result = files.map((file) => Buffer.from(codec.encode(file).finish()));
  linked.set(encoded, result);
  return result;
}
