// Module resolution hook: `import ... from 'esbuild'` inside scripts/build.mjs gets the shim.
const SHIM = new URL('./esbuild-capture-shim.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'esbuild' && context.parentURL && /[\\/]scripts[\\/]build\.mjs$/.test(new URL(context.parentURL).pathname)) {
    return { url: SHIM, shortCircuit: true };
  }
  return next(specifier, context);
}
