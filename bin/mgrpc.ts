#!/usr/bin/env node
import { bundledMain } from '../cli/serve/bundle.js';

// A server from the bundle when one was built (cli/serve/bundle.ts), anything else from dist/.
const main = bundledMain(process.argv) ?? (await import('../cli/main.js')).main;
await main(process.argv);
