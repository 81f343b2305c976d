/**
 * Allow-listed Genesys Cloud environments. The client secret is posted to `login.<domain>`, so the
 * domain must come from this list (or from an explicit override that the deployer set): a secret
 * that names any other domain must never make the function send its credentials there.
 */ import { err, ok, type Result } from '../result';

/** Genesys region -> environment domain (API host `api.<domain>`, login host `login.<domain>`). */
export const GENESYS_ENVIRONMENTS: Readonly<Record<string, string>> = {
  'us-east-1': 'mypurecloud.com',
  'us-east-2': 'use2.us-gov-pure.cloud',
  'us-west-2': 'usw2.pure.cloud',
  'ca-central-1': 'cac1.pure.cloud',
  'sa-east-1': 'sae1.pure.cloud',
  'mx-central-1': 'mxc1.pure.cloud',
  'eu-west-1': 'mypurecloud.ie',
  'eu-west-2': 'euw2.pure.cloud',
  'eu-central-1': 'mypurecloud.de',
  'eu-central-2': 'euc2.pure.cloud',
  'eusc-de-east-1': 'edee1.eusc-pure.cloud',
  'me-central-1': 'mec1.pure.cloud',
  'ap-south-1': 'aps1.pure.cloud',
  'ap-southeast-1': 'apse1.pure.cloud',
  'ap-southeast-2': 'mypurecloud.com.au',
  'ap-northeast-1': 'mypurecloud.jp',
  'ap-northeast-2': 'apne2.pure.cloud',
  'ap-northeast-3': 'apne3.pure.cloud',
};

const KNOWN_DOMAINS: ReadonlySet<string> = new Set(Object.values(GENESYS_ENVIRONMENTS));

export interface GenesysHosts {
  apiBaseUrl: string;
  loginBaseUrl: string;
}

export type HostsResolution = Result<GenesysHosts, string>;

/**
 * The API and login base URLs for an environment. Accepts a domain from the table
 * (`mypurecloud.ie`) or its region name (`eu-west-1`), case-insensitively. Overrides win, each on
 * its own, and are the only way to reach a host outside the table.
 */
export function resolveHosts(
  environment: string | undefined,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
): HostsResolution {
  if (overrides.apiBaseUrl && overrides.loginBaseUrl) {
    return ok({ apiBaseUrl: overrides.apiBaseUrl, loginBaseUrl: overrides.loginBaseUrl });
  }
  const domain = knownDomain(environment);
  if (domain === undefined) {
    return err(
      'the credentials secret names an unknown Genesys environment: ' +
        'use a domain such as "mypurecloud.com" or a region such as "us-east-1"',
    );
  }
  return ok({
    apiBaseUrl: overrides.apiBaseUrl ?? `https://api.${domain}`,
    loginBaseUrl: overrides.loginBaseUrl ?? `https://login.${domain}`,
  });
}

/**
 * The Genesys region of a known environment (a domain from the table or its region name), e.g.
 * `mypurecloud.ie` -> `eu-west-1`; undefined for anything else. Genesys names its regions after
 * the AWS regions that host them, so this is also the AWS region that pairs with the org.
 */
export function genesysRegion(environment: string | undefined): string | undefined {
  const domain = knownDomain(environment);
  return domain === undefined
    ? undefined
    : Object.keys(GENESYS_ENVIRONMENTS).find((region) => GENESYS_ENVIRONMENTS[region] === domain);
}

function knownDomain(environment: string | undefined): string | undefined {
  if (!environment) return undefined;
  const name = environment.trim().toLowerCase();
  if (KNOWN_DOMAINS.has(name)) return name;
  return Object.hasOwn(GENESYS_ENVIRONMENTS, name) ? GENESYS_ENVIRONMENTS[name] : undefined;
}

/**
 * Whether `host` may be reached at all: `api.` or `login.` of an environment in the table, or the
 * host of an explicit override. What the egress proxy tunnel checks before it opens a tunnel.
 */
export function isGenesysHost(host: string, overrides: { apiBaseUrl?: string; loginBaseUrl?: string }): boolean {
  const name = host.toLowerCase();
  const overridden = [overrides.apiBaseUrl, overrides.loginBaseUrl].some(
    (url) => url !== undefined && new URL(url).hostname.toLowerCase() === name,
  );
  if (overridden) return true;
  const match = /^(api|login)\.(.+)$/.exec(name);
  return match?.[2] !== undefined && KNOWN_DOMAINS.has(match[2]);
}
