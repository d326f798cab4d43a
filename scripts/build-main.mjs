// Bundles the Electron main process (ESM) and the preload (CommonJS, required by sandboxed
// preloads). Dependencies stay external: they ship in node_modules (node-pty is native).
import { build } from 'esbuild';

// The packaged app skips the development-time check of every emitted event against the contract
// (main/core/events.ts), which would sit on hot paths such as terminal output.
const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: true, packages: 'external', logLevel: 'warning', define: { 'process.env.NODE_ENV': '"production"' } };

await build({ ...common, entryPoints: { electron: 'main/electron/main.ts' }, outdir: 'dist/main', format: 'esm', outExtension: { '.js': '.mjs' } });
await build({ ...common, entryPoints: { preload: 'main/electron/preload.ts' }, outdir: 'dist/main', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['electron'] });
