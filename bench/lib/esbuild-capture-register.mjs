// Loaded with `node --import` in front of scripts/build.mjs (see bench/lib/build.ts): sends the
// `esbuild` import of that one script to esbuild-capture-shim.mjs, so the bench builds its anchor
// with exactly the options (and plugins) the project's own build uses, whatever they become.
import { register } from 'node:module';

register('./esbuild-capture-hooks.mjs', import.meta.url);
