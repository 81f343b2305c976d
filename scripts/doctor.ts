/**
 * `npm run doctor [-- --json] [-- --emulators]`: checks a live setup from your shell before the
 * first flag, with the function's own code, and says what to fix.
 *
 * It reads the environment the function reads: GENESYS_CREDENTIALS_SECRET_ID (client-credentials
 * mode) or GENESYS_TOKEN_SECRET_ID (token mode), AWS credentials and region (the SDK's standard
 * chain), and the overrides GENESYS_API_BASE_URL, GENESYS_LOGIN_BASE_URL, GENESYS_HTTPS_PROXY and
 * AWS_ENDPOINT_URL_SECRETS_MANAGER. One line per check; `--json` prints the checks as a JSON array.
 *
 * Exit code: 0 when every required check passed (or warned), 1 when one did not, 2 when there is
 * nothing to check (neither secret variable set, no --emulators) or an option is unknown.
 * `--emulators` runs the checks against both loopback emulators, started here with a healthy setup.
 */
import type { Env } from '../lib/config';
import { runDoctor, type DoctorDeps } from './doctor/checks';
import { REPLACED_VARIABLES, startHealthyEmulators } from './doctor/emulators';
import { clean, exitCode, formatJson, formatLines, type CheckResult } from './doctor/report';

export const USAGE = `npm run doctor checks a live setup before the first flag, with the function's own code.

Set what the function reads:
  GENESYS_CREDENTIALS_SECRET_ID   id or ARN of the credentials secret (client-credentials mode), or
  GENESYS_TOKEN_SECRET_ID         id or ARN of the token secret (token mode)
  AWS credentials and region      e.g. AWS_PROFILE and AWS_REGION (the region the secret is in)
and, where you use them, GENESYS_API_BASE_URL, GENESYS_LOGIN_BASE_URL, GENESYS_HTTPS_PROXY,
AWS_ENDPOINT_URL_SECRETS_MANAGER. Then: npm run doctor   (or npm run doctor -- --json)

To see it on local emulators instead: npm run doctor -- --emulators`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the CLI; returns the exit code. `deps` replaces the production building blocks in tests. */
export async function runCli(
  args: readonly string[],
  env: Env,
  io: CliOutput,
  deps: Partial<DoctorDeps> = {},
): Promise<number> {
  const known = new Set(['--json', '--emulators', '--help']);
  const unknown = args.filter((a) => !known.has(a));
  if (args.includes('--help') || unknown.length > 0) {
    if (unknown.length > 0) io.err(`unknown option ${clean(unknown[0] ?? '', 40)}\n`);
    io.err(USAGE);
    return unknown.length > 0 ? 2 : 0;
  }
  const json = args.includes('--json');

  if (args.includes('--emulators')) {
    const local = await startHealthyEmulators();
    try {
      // The AWS SDK reads its variables from process.env: the emulators' replace the shell's.
      for (const name of REPLACED_VARIABLES) delete process.env[name];
      Object.assign(process.env, local.env);
      if (!json) {
        io.out('Local emulators, with a healthy setup:');
        io.out(`  Genesys Cloud    ${local.genesys.url}`);
        io.out(`  Secrets Manager  ${local.secrets.url}   (secret "${local.env.GENESYS_CREDENTIALS_SECRET_ID ?? ''}")`);
        io.out('');
      }
      const merged: Record<string, string | undefined> = { ...env, ...local.env };
      for (const name of REPLACED_VARIABLES) delete merged[name];
      return report(await runDoctor(merged, deps), json, io);
    } finally {
      await local.close();
    }
  }

  if (!env.GENESYS_CREDENTIALS_SECRET_ID?.trim() && !env.GENESYS_TOKEN_SECRET_ID?.trim()) {
    io.err(USAGE);
    return 2;
  }
  return report(await runDoctor(env, deps), json, io);
}

function report(checks: CheckResult[], json: boolean, io: CliOutput): number {
  if (json) io.out(formatJson(checks));
  else for (const line of formatLines(checks)) io.out(line);
  return exitCode(checks);
}

if (require.main === module) {
  // The SDK's notice that future versions need Node 22 is not about this setup (as in npm start).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runCli(process.argv.slice(2), process.env, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A bug here, not an upstream answer (those are results): its name only, never its message.
      console.error(`npm run doctor failed unexpectedly: ${error instanceof Error ? error.name : typeof error}`);
      process.exit(1);
    },
  );
}
