// Vite build of the renderer. Run from the repository root as `vite build src/renderer`:
// the positional root makes Vite use this file, and every path below is relative to it.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative URLs, so the page works from file:// inside app.asar.
  base: './',
  plugins: [react()],
  build: {
    outDir: '../../build/renderer',
    emptyOutDir: true,
    // Nothing may end up inline: the CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'chrome140',
    // Two pages: the app, and the demo's simulator control panel (served by the web shell only).
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        simulator: fileURLToPath(new URL('./simulator/index.html', import.meta.url)),
      },
    },
  },
});
