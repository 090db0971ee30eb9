import { serveCommand } from './runserver.js';

export const grpcrunserverCommand = () =>
  serveCommand('grpc', 'grpcrunserver', "run a service's gRPC server; example: mgrpc grpcrunserver --service dashboard");
