/**
 * mgrpc's framework: everything a service is written on, from one import.
 */
import './error-translators.js';

export { AppError, ERROR_CODES, registerErrorTranslator, type ErrorCode } from './errors.js';
export { createLogger, type Logger } from './logger.js';
export { envInt, formatAddress, loadDotenv, parseListenAddress, type ListenAddress } from './config.js';
export { openDatabase, dialectOf, redactUrl, sqliteUrl } from './db/connect.js';
export { migrate, pendingMigrations, type Migration, type MigrationContext } from './db/migrations.js';
export { ModelSerializer, type FieldName, type SerializerConfig, type WriteMode } from './model/serializer.js';
export { ModelResource, type ListQuery, type ResourceConfig } from './model/resource.js';
export { camelCase, snakeCase } from './model/casing.js';
export { defineService, type CallContext, type GrpcService, type HandlersOf, type UnaryHandler } from './grpc/define-service.js';
export { ACTIONS, modelActions, type ActionName } from './grpc/actions.js';
export { createClient, type CallOptions, type ClientOptions, type PromiseClient } from './grpc/clients.js';
export { startGrpcServer, type RunningGrpcServer } from './grpc/server.js';
export { answerClientErrors, createRestApp } from './rest/app.js';
export { modelViewSet, VIEW_ACTIONS, type ViewAction } from './rest/model-viewset.js';
export { errorHandler, methodNotAllowed, notFoundHandler } from './rest/error-handler.js';
export { DEFAULT_BASE_PORT, databaseUrlFor, defineServiceModule, type ServiceModule, type SetupArgs } from './service-module.js';
export { migrateService, serve, type RunningService, type ServeOptions, type Side } from './runtime.js';
