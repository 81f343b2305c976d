// Runs before `npm start`, `npm test`, `npm run doctor` and `npm run bench`: on a fresh clone, installs the locked
// dependencies (npm ci) so the README's two commands work as they are. A no-op once node_modules is in place.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('First run: installing the locked dependencies (npm ci) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { status } = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  process.exit(status ?? 1);
}
