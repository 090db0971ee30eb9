/**
 * The services, methods and messages `mgrpc call` and `mgrpc describe` know about: the
 * protos as protobufjs reflection objects, built from the stubs' embedded descriptor (or a
 * descriptor fetched through server reflection). Name lookups are forgiving about how a
 * method is written and strict about ambiguity:
 *
 *   product.ProductService/LikeProduct, ProductService/LikeProduct, ProductService.LikeProduct,
 *   /product.ProductService/LikeProduct
 */
import protobuf from 'protobufjs';

import { UsageError } from '../handle-error.js';

export interface MethodInfo {
  service: protobuf.Service;
  method: protobuf.Method;
  /** The wire path, e.g. /product.ProductService/LikeProduct. */
  path: string;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
}

const fullName = (object: protobuf.ReflectionObject) => object.fullName.replace(/^\./, '');

function collect<T extends protobuf.ReflectionObject>(ns: protobuf.NamespaceBase, kind: new (...args: any[]) => T, out: T[] = []): T[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof kind) out.push(nested);
    if (nested instanceof protobuf.Namespace) collect(nested, kind, out);
  }
  return out;
}

/** Names equal to `query`, or ending in `.query` (a name given without its package). */
function matching<T extends protobuf.ReflectionObject>(objects: T[], query: string): T[] {
  const exact = objects.filter((object) => fullName(object) === query);
  if (exact.length > 0) return exact;
  return objects.filter((object) => fullName(object).endsWith(`.${query}`));
}

export class Catalog {
  readonly services: protobuf.Service[];
  readonly messages: protobuf.Type[];

  constructor(readonly root: protobuf.Root) {
    root.resolveAll();
    this.services = collect(root, protobuf.Service).sort((a, b) => fullName(a).localeCompare(fullName(b)));
    this.messages = collect(root, protobuf.Type).sort((a, b) => fullName(a).localeCompare(fullName(b)));
  }

  /** From protobufjs JSON (the `descriptor` export of services/stubs). */
  static fromJson(json: protobuf.INamespace): Catalog {
    return new Catalog(protobuf.Root.fromJSON(json));
  }

  /** Every method as `pkg.Service/Method`, for listings and error messages. */
  methodNames(): string[] {
    return this.services.flatMap((service) => service.methodsArray.map((method) => `${fullName(service)}/${method.name}`));
  }

  /** Resolves a method name in any of the accepted spellings; a UsageError names the candidates. */
  method(spec: string): MethodInfo {
    const trimmed = spec.trim().replace(/^\//, '');
    const separator = trimmed.includes('/') ? trimmed.lastIndexOf('/') : trimmed.lastIndexOf('.');
    if (separator <= 0 || separator === trimmed.length - 1) {
      throw new UsageError(`'${spec}' is not a method name: write SERVICE/METHOD, e.g. ${this.methodNames()[0] ?? 'pkg.Service/Method'} (methods: ${this.methodNames().join(', ')})`);
    }
    const serviceQuery = trimmed.slice(0, separator);
    const methodName = trimmed.slice(separator + 1);
    const candidates = matching(this.services, serviceQuery).flatMap((service) =>
      service.methodsArray.filter((method) => method.name === methodName).map((method) => ({ service, method })),
    );
    if (candidates.length === 0) {
      const lower = methodName.toLowerCase();
      const close = this.methodNames().filter((name) => name.toLowerCase().endsWith(`/${lower}`));
      const hint = close.length > 0 ? `did you mean ${close.join(' or ')}? ` : '';
      throw new UsageError(`unknown method '${spec}': ${hint}methods: ${this.methodNames().join(', ')}`);
    }
    if (candidates.length > 1) {
      const names = candidates.map(({ service, method }) => `${fullName(service)}/${method.name}`);
      throw new UsageError(`'${spec}' is ambiguous: it matches ${names.join(', ')}; write the full name`);
    }
    const { service, method } = candidates[0];
    method.resolve();
    return {
      service,
      method,
      path: `/${fullName(service)}/${method.name}`,
      requestType: method.resolvedRequestType!,
      responseType: method.resolvedResponseType!,
    };
  }

  /** A service, method or message by (possibly short) name, for `describe NAME`. */
  lookup(spec: string): protobuf.Service | MethodInfo | protobuf.Type {
    const query = spec.trim().replace(/^\./, '');
    const found: (protobuf.Service | protobuf.Type)[] = [...matching(this.services, query), ...matching(this.messages, query)];
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      throw new UsageError(`'${spec}' is ambiguous: it matches ${found.map(fullName).join(', ')}; write the full name`);
    }
    if (/[/.]/.test(query)) {
      try {
        return this.method(query);
      } catch {
        // Fall through to the listing below, which names every kind of candidate.
      }
    }
    throw new UsageError(
      `unknown service, method or message '${spec}': services: ${this.services.map(fullName).join(', ')}; messages: ${this.messages.map(fullName).join(', ')}`,
    );
  }
}

export { fullName };
