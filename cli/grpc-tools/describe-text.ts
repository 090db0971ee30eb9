/**
 * The text of `mgrpc describe`, in proto syntax so it reads like the .proto it came from:
 * services with their methods, and a message with its fields (and every message those
 * fields reach), with the JSON name `mgrpc call` uses when it differs from the proto name.
 */
import protobuf from 'protobufjs';

import { fullName, type Catalog, type MethodInfo } from './catalog.js';
import { jsonName } from './json-message.js';

function rpcLine(method: protobuf.Method): string {
  method.resolve();
  const request = `${method.requestStream ? 'stream ' : ''}${fullName(method.resolvedRequestType!)}`;
  const response = `${method.responseStream ? 'stream ' : ''}${fullName(method.resolvedResponseType!)}`;
  return `  rpc ${method.name}(${request}) returns (${response});`;
}

function serviceBlock(service: protobuf.Service): string {
  return [`service ${fullName(service)} {`, ...service.methodsArray.map(rpcLine), '}'].join('\n');
}

function typeName(field: protobuf.Field): string {
  const base = field.resolvedType ? fullName(field.resolvedType) : field.type;
  if (field instanceof protobuf.MapField) return `map<${field.keyType}, ${base}>`;
  return field.repeated ? `repeated ${base}` : base;
}

function fieldLine(field: protobuf.Field, indent: string, label = ''): string {
  const json = jsonName(field) === field.name ? '' : ` // JSON: ${jsonName(field)}`;
  return `${indent}${label}${typeName(field)} ${field.name} = ${field.id};${json}`;
}

/** A proto3 `optional` field: protobufjs puts it in a oneof of its own named `_<field>`. */
const isOptional = (oneof: protobuf.OneOf) => oneof.fieldsArray.length === 1 && oneof.name === `_${oneof.fieldsArray[0]!.name}`;

/** The message as a .proto declares it: a oneof's fields grouped where its first one stands (only one of them is ever set). */
function messageBlock(type: protobuf.Type): string {
  const lines: string[] = [];
  const shown = new Set<protobuf.OneOf>();
  for (const field of type.fieldsArray) {
    const oneof = field.partOf;
    if (!oneof) lines.push(fieldLine(field, '  '));
    else if (isOptional(oneof)) lines.push(fieldLine(field, '  ', 'optional '));
    else if (!shown.has(oneof)) {
      shown.add(oneof);
      lines.push(`  oneof ${oneof.name} {`, ...oneof.fieldsArray.map((member) => fieldLine(member, '    ')), '  }');
    }
  }
  return [`message ${fullName(type)} {`, ...lines, '}'].join('\n');
}

function enumBlock(type: protobuf.Enum): string {
  return [`enum ${fullName(type)} {`, ...Object.entries(type.values).map(([name, id]) => `  ${name} = ${id};`), '}'].join('\n');
}

/** `types` and every message or enum their fields reach, each once, in first-seen order. */
function reachable(types: protobuf.Type[]): (protobuf.Type | protobuf.Enum)[] {
  const seen = new Set<protobuf.Type | protobuf.Enum>();
  const visit = (type: protobuf.Type | protobuf.Enum) => {
    if (seen.has(type)) return;
    seen.add(type);
    if (type instanceof protobuf.Type) {
      for (const field of type.fieldsArray) {
        field.resolve();
        if (field.resolvedType) visit(field.resolvedType);
      }
    }
  };
  types.forEach(visit);
  return [...seen];
}

const block = (type: protobuf.Type | protobuf.Enum) => (type instanceof protobuf.Type ? messageBlock(type) : enumBlock(type));

function methodTypes(methods: protobuf.Method[]): protobuf.Type[] {
  return methods.flatMap((method) => {
    method.resolve();
    return [method.resolvedRequestType!, method.resolvedResponseType!];
  });
}

/** Every service and its methods. */
export function describeAll(catalog: Catalog): string {
  return catalog.services.map(serviceBlock).join('\n\n');
}

/** One service, method or message, with the messages it uses. */
export function describeOne(target: ReturnType<Catalog['lookup']>): string {
  if (target instanceof protobuf.Service) {
    return [serviceBlock(target), ...reachable(methodTypes(target.methodsArray)).map(block)].join('\n\n');
  }
  if (target instanceof protobuf.Type) return reachable([target]).map(block).join('\n\n');
  const info = target as MethodInfo;
  return [`${info.path}`, rpcLine(info.method).trim(), ...reachable(methodTypes([info.method])).map(block)].join('\n\n');
}
