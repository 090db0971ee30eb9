/**
 * The grpc.health.v1.Health service definition, built from the protocol's JSON descriptor with
 * the proto-loader every server has already loaded (the stubs use it). grpc-health-check, which
 * served it before, parses its .proto with its own copies of proto-loader and protobufjs when
 * first required: a tenth of a gRPC server's cold start, paid before the first health answer.
 * The messages and methods are those of grpc/health/v1/health.proto (Check, Watch, List), with
 * the library's loader options, so clients and servers on either definition speak alike
 * (security/service-token.test.ts calls ours with the library's).
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const HEALTH_PROTO = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthListRequest: { fields: {} },
                HealthListResponse: { fields: { statuses: { keyType: 'string', type: 'HealthCheckResponse', id: 1 } } },
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' },
                    Watch: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', responseStream: true },
                    List: { requestType: 'HealthListRequest', responseType: 'HealthListResponse' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

let definition: grpc.ServiceDefinition | undefined;

/** The service definition (built once, on first use). */
export function healthDefinition(): grpc.ServiceDefinition {
  return (definition ??= protoLoader.fromJSON(HEALTH_PROTO as unknown as Parameters<typeof protoLoader.fromJSON>[0], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  })['grpc.health.v1.Health'] as unknown as grpc.ServiceDefinition);
}
