#!/usr/bin/env node
/**
 * postinstall: the `node` dev dependency (Node 22, Lambda's major) exists for the tests that run
 * the built bundles on it (node_modules/node/bin/node, by path). npm would also link it as
 * node_modules/.bin/node, which every npm script puts first on its PATH: tsc, jest, the build and
 * npm start would all run on it instead of the machine's Node. The link is removed; nothing else.
 */
import { lstatSync, rmSync } from 'node:fs';
import path from 'node:path';

const link = path.join(process.cwd(), 'node_modules', '.bin', 'node');
try {
  if (lstatSync(link).isSymbolicLink()) rmSync(link);
} catch {
  // no link: nothing to do
}
