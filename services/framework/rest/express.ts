/**
 * express, loaded on first use. Every server process imports the framework and its
 * service's REST routes, but only a REST server builds an app or a router: a gRPC server that
 * loaded express and its dependencies (body parsers, mime types, …) spent a tenth of its cold
 * start on them. express is CommonJS, so the first call can load it synchronously. Types come
 * from `import type … from 'express'`, which costs nothing at run time.
 *
 * @example
 *   import { Router } from '../../framework/index.js';
 *   const router = Router();   // express.Router(), express loaded here the first time
 */
import { createRequire } from 'node:module';

import type { Router as ExpressRouter, RouterOptions } from 'express';

type Express = typeof import('express');

let loaded: Express | undefined;

/**
 * The express module (`express()`, `express.json`, `express.static`, …). In the servers' bundle
 * (CommonJS, build/bundle-servers.mjs) `require` exists, and that direct call is what lets the
 * bundler put express and its 80-odd files into the bundle; in dist/ (ES modules) it does not.
 */
export function loadExpress(): Express {
  return (loaded ??= (typeof require === 'function' ? require('express') : createRequire(import.meta.url)('express')) as Express);
}

/** An express router (the type), as `import { Router } from 'express'` gives both. */
export type Router = ExpressRouter;

/** `express.Router(options)`. */
export function Router(options?: RouterOptions): Router {
  return loadExpress().Router(options);
}
