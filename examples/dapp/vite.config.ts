import { defineConfig } from "vite"

// Relative asset URLs: the built page works from any static path (the test serves dist/ from its own server).
export default defineConfig({
  base: "./",
  build: { target: "es2022", sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 1000 },
  worker: { format: "es" },
})
