// Bundles the Electron main process (ESM) and the preload (CommonJS, required by sandboxed
// preloads). Dependencies stay external: they ship in node_modules (node-pty is native).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: true, packages: 'external', logLevel: 'warning' };

await build({ ...common, entryPoints: { electron: 'main/electron/main.ts' }, outdir: 'dist/main', format: 'esm', outExtension: { '.js': '.mjs' } });
await build({ ...common, entryPoints: { preload: 'main/electron/preload.ts' }, outdir: 'dist/main', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['electron'] });
