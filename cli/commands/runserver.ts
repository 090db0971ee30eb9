import { serveCommand } from '../serve.js';

export const runserverCommand = () =>
  serveCommand('rest', 'runserver', "run a service's REST API (express); example: mgrpc runserver 0.0.0.0:10008 --service dashboard");
