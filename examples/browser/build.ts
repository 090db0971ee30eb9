/**
 * Bundles the browser example with esbuild: app.ts, with the product service's descriptors
 * (from the generated stubs, so run `mgrpc codegen` first) embedded as a constant, into
 * dist/app.js next to a copy of index.html.
 *
 *   npx tsx examples/browser/build.ts            # build into examples/browser/dist/
 *   npx tsx examples/browser/build.ts --serve    # build and serve it on http://127.0.0.1:8080
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as esbuild from 'esbuild';

import { fileDescriptorSetOf } from '../../services/framework/connect/descriptors.js';
import { proto } from '../../services/stubs/index.js';

const HERE = import.meta.dirname;
export const OUT_DIR = path.join(HERE, 'dist');

function buildOptions(): esbuild.BuildOptions {
  const descriptors = Buffer.from(fileDescriptorSetOf(proto.product.ProductService.service)).toString('base64');
  return {
    entryPoints: [path.join(HERE, 'app.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    outfile: path.join(OUT_DIR, 'app.js'),
    define: { __DESCRIPTORS__: JSON.stringify(descriptors) },
    logLevel: 'warning',
  };
}

/** Writes dist/index.html and dist/app.js. */
export async function buildExample(): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  copyFileSync(path.join(HERE, 'index.html'), path.join(OUT_DIR, 'index.html'));
  await esbuild.build(buildOptions());
  return OUT_DIR;
}

/** Builds, then serves dist/ on `host:port` until stopped; resolves with the page's URL and a stop function. */
export async function serveExample(host = '127.0.0.1', port = 8080): Promise<{ url: string; stop(): Promise<void> }> {
  await buildExample();
  const context = await esbuild.context(buildOptions());
  const served = await context.serve({ servedir: OUT_DIR, host, port });
  return { url: `http://${host}:${served.port}/`, stop: () => context.dispose() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--serve')) {
    const port = Number(process.env.PORT ?? 8080);
    const { url } = await serveExample('127.0.0.1', port);
    console.log(`serving ${url}?api=http://127.0.0.1:10008 (start the system with MGRPC_CORS_ORIGINS=${new URL(url).origin})`);
  } else {
    console.log(`built ${await buildExample()}`);
  }
}
