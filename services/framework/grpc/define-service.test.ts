/**
 * defineService on the real BookService definition: every RPC needs a handler, every
 * handler needs an RPC, and the messages say which and how to fix it.
 */
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { defineService } from '../index.js';
import { loadBookService } from '../../../test/support/library.js';

const definition = loadBookService().service;
const handle = async () => ({});
const all = { List: handle, Retrieve: handle, Create: handle, Update: handle, PartialUpdate: handle, Destroy: handle, Explode: handle };

describe('defineService', () => {
  it('accepts one handler per RPC and keeps them', () => {
    const service = defineService(definition, all);
    expect(service.definition).toBe(definition);
    expect(Object.keys(service.handlers).sort()).toEqual(Object.keys(definition).sort());
  });

  it('refuses a missing handler, naming the RPC and the key to add', () => {
    const { Explode: _missing, ...rest } = all;
    expect(() => defineService(definition, rest)).toThrow("defineService: no handler for /library.BookService/Explode; add 'Explode' to the handlers object");
  });

  it('refuses a handler that is not a function', () => {
    expect(() => defineService(definition, { ...all, List: 'list' as never })).toThrow("no handler for /library.BookService/List; add 'List'");
  });

  it('refuses a handler for an RPC the service does not have, listing the ones it has', () => {
    expect(() => defineService(definition, { ...all, Retreive: handle })).toThrow(
      "defineService: 'Retreive' is not a method of this service (methods: List, Retrieve, Create, Update, PartialUpdate, Destroy, Explode)",
    );
  });

  it('refuses an RPC that streams requests', () => {
    const streaming = { ...definition, List: { ...definition.List, requestStream: true } } as grpc.ServiceDefinition;
    expect(() => defineService(streaming, all)).toThrow('/library.BookService/List streams requests from the client; only unary and server-streaming RPCs are supported');
  });
});
