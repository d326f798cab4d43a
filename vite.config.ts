import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is built once to dist/renderer and served by either host (Electron or web mode).
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
});
