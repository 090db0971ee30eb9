/**
 * mgrpc's framework: everything a service is written on, from one import.
 */
import './error-translators.js';

export { AppError, ERROR_CODES, registerErrorTranslator, type ErrorCode } from './errors.js';
export { createLogger, logFormat, type LogFormat, type Logger } from './logger.js';
export { envInt, formatAddress, loadDotenv, parseListenAddress, type ListenAddress } from './config.js';
export { openDatabase, databaseOptionsFromEnv, dialectOf, redactUrl, sqliteUrl, type DatabaseOptions } from './db/connect.js';
export { atomic, currentTransaction } from './db/atomic.js';
export { chunks, sqlRunner, sqlTimestamp, sqlTuples, UniqueViolation, type Row, type SqlRunner, type SqlValue } from './db/sql.js';
export { coalesce, type CoalesceOptions } from './db/coalesce.js';
export { migrate, pendingMigrations, type Migration, type MigrationContext } from './db/migrations.js';
export { ModelSerializer, type FieldName, type SerializerConfig, type WriteMode } from './model/serializer.js';
export { ModelResource, type ListQuery, type ResourceConfig } from './model/resource.js';
export { camelCase, snakeCase } from './model/casing.js';
export { defineService, type CallContext, type GrpcService, type HandlersOf, type UnaryHandler } from './grpc/define-service.js';
export { ACTIONS, modelActions, type ActionName } from './grpc/actions.js';
export { createClient, isUnimplemented, type CallOptions, type ClientOptions, type PromiseClient } from './grpc/clients.js';
export { startGrpcServer, type RunningGrpcServer } from './grpc/server.js';
export { answerClientErrors, createRestApp } from './rest/app.js';
export { modelViewSet, VIEW_ACTIONS, type ViewAction } from './rest/model-viewset.js';
export { errorHandler, methodNotAllowed, notFoundHandler } from './rest/error-handler.js';
export { DEFAULT_BASE_PORT, databaseUrlFor, defineServiceModule, type ServiceModule, type SetupArgs } from './service-module.js';
export { Outbox, outboxOptionsFromEnv, type BatchItem, type Deliver, type DeliverMany, type DeliveryContext, type EnqueueOptions, type OutboxEntry, type OutboxOptions } from './outbox/outbox.js';
export { applyOnce, pruneInbox, type ApplyOnceOptions } from './outbox/receiver.js';
export { applyOnceBatched, type ApplyMany, type ApplyOnceBatchedOptions, type BatchedHandler, type KeyedCall } from './outbox/batched-receiver.js';
export { outboxMigration } from './outbox/migration.js';
export type { DeliveryOutcome } from './outbox/outcomes.js';
export type { StoredEntry, TopicStats } from './outbox/store.js';
export { constantTimeEqual } from './security/constant-time.js';
export { INVALID_SERVICE_TOKEN, SERVICE_TOKEN_ENV, isExemptFromServiceToken, serviceTokenFromEnv, serviceTokenInterceptor, withServiceToken } from './security/service-token.js';
export { TLS_ENV, grpcChannelCredentials, grpcServerCredentials, tlsSettings, type TlsSettings } from './security/tls.js';
export { grpcClientSecurity, grpcServerSecurity, type GrpcClientSecurity, type GrpcServerSecurity } from './security/grpc-security.js';
export { API_KEY_ENV, API_KEY_READS_ENV, apiKeyFromEnv, apiKeyGuard, writeRoute, type ApiKeyOptions } from './security/api-key.js';
export { securitySummary } from './security/summary.js';
export { DEFAULT_DRAIN_MS, migrateService, serviceMigrations, serve, type RunningService, type ServeOptions, type Side } from './runtime.js';
export { addHealthService, HEALTH_PATH_PREFIX, HEALTH_SERVICE, serviceNameOf, type HealthReporter } from './health/grpc-health.js';
export { createPeerHealth, type Peer, type PeerHealth } from './health/peer-health.js';
export { createReadiness, readinessHandler, type Readiness, type ReadinessReport } from './health/readiness.js';
export { DrainHooks, type DrainHook, type DrainHookOptions } from './lifecycle/drain-hooks.js';
export { REQUEST_ID_HEADER, currentRequestId, requestIdFrom, runWithRequestId } from './observability/request-context.js';
export { createMetrics, type DeliveryResult, type Metrics } from './metrics/metrics.js';
export { METRICS_PORT_ENV, metricsPortFor, startMetricsServer, type MetricsPort, type RunningMetricsServer } from './metrics/metrics-server.js';
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiOptions } from './openapi/document.js';
export { apiDocsRouter } from './openapi/docs-router.js';
export { describeRoute, describedRoute, type HttpMethod, type JsonSchema, type OperationSpec, type ParameterSpec, type ResponseSpec, type RouteDescription, type SchemaSource } from './openapi/operations.js';
export { listRoutes, routeMatcher, type ListedRoute } from './rest/route-list.js';
export { keepRequestId, requestLog, type RequestLogOptions } from './rest/request-log.js';
