// Jest transform: TypeScript -> CommonJS with esbuild (already a dependency for the bundles).
// No type checking here: `tsc --noEmit` does that once for the whole project.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
