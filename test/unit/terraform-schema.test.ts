/**
 * The Terraform in infra/genesys, held to the CX as Code provider's schema without the provider
 * download that `terraform validate` needs: every .tf file parsed as Terraform parses it
 * (@cdktf/hcl2json), every genesyscloud_* resource checked against the snapshot in
 * infra/genesys/provider-schema/, and the version constraint held to the snapshot's release. The
 * checker is fed broken resources too, and must name exactly what is wrong with each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  admits,
  checkProviderBlocks,
  checkResources,
  checkVersionConstraint,
  parseTerraform,
  readSchemaSnapshot,
  type HclFile,
} from '../support/terraform-schema';

const ROOT = path.resolve(__dirname, '../..');
const TF_DIR = path.join(ROOT, 'infra/genesys');
const SNAPSHOT_DIR = path.join(TF_DIR, 'provider-schema');

const snapshotFiles = readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith('.json'));
const snapshot = readSchemaSnapshot(path.join(SNAPSHOT_DIR, snapshotFiles[0] ?? 'missing.json'));
const tfFiles = readdirSync(TF_DIR).filter((f) => f.endsWith('.tf'));

let terraform: HclFile[] = [];
beforeAll(async () => {
  terraform = await parseTerraform(
    Object.fromEntries(tfFiles.map((f) => [f, readFileSync(path.join(TF_DIR, f), 'utf8')])),
  );
});

/** One resource, parsed from HCL text, against the snapshot. */
async function complaintsAbout(hcl: string): Promise<string[]> {
  return checkResources(await parseTerraform({ 'case.tf': hcl }), snapshot).complaints;
}

const FLOW_OK = `filepath = "flows/x.yaml"`;
const ACTION_OK = `
  name            = "a"
  category        = "c"
  integration_id  = "i"
  contract_input  = "{}"
  contract_output = "{}"`;

describe('the Terraform in infra/genesys', () => {
  test('there is exactly one schema snapshot, named after its release', () => {
    expect(snapshotFiles).toEqual([`genesyscloud-v${snapshot.version}.json`]);
    expect(snapshot.version).toBe('1.84.1');
  });

  test('every genesyscloud_* resource sets only configurable arguments of the schema, and every required one', () => {
    const result = checkResources(terraform, snapshot);
    expect(result.complaints).toEqual([]);
    // Not vacuous: every resource of the module was read.
    expect(result.checked.sort()).toEqual([
      'genesyscloud_flow.verify_and_flag',
      'genesyscloud_integration.lambda',
      'genesyscloud_integration.webhook',
      'genesyscloud_integration_action.flag_participant',
      'genesyscloud_integration_action.flag_participant_webhook',
      'genesyscloud_integration_credential.lambda_role',
      'genesyscloud_integration_credential.webhook_token',
    ]);
  });

  test("the provider constraint names the snapshot's release, and the provider block sets nothing", () => {
    expect(checkVersionConstraint(terraform, snapshot.version)).toEqual([]);
    expect(checkProviderBlocks(terraform)).toEqual([]);
  });

  test('docs/deploy.md lists the permissions of every resource type the Terraform creates', () => {
    const deploy = readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
    const rows = [...deploy.matchAll(/^\| ((?:`genesyscloud_\w+`(?:, )?)+)[^|]*\| ([^|]+) \|$/gm)];
    const documented = rows.flatMap((row) => [...(row[1] ?? '').matchAll(/`(genesyscloud_\w+)`/g)].map((m) => m[1]));
    const created = [...new Set(checkResources(terraform, snapshot).checked.map((name) => name.split('.')[0]))];
    expect(documented.sort()).toEqual(created.sort());
    for (const row of rows) {
      const permissions = (row[2] ?? '').split(', ');
      expect(permissions.length).toBeGreaterThan(0);
      for (const permission of permissions) expect(permission).toMatch(/^`[a-zA-Z]+:[a-zA-Z]+:[a-zA-Z]+`$/);
    }
  });
});

describe('the checker names what is wrong', () => {
  test('a computed-only argument set, as file_content_hash is since provider v1.68.5', async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_flow" "f" {
      ${FLOW_OK}
      file_content_hash = filesha256("flows/x.yaml")
    }`),
    ).toEqual(['genesyscloud_flow.f: file_content_hash is computed by the provider and cannot be set']);
  });

  test('a required argument missing, also when count is 0', async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_flow" "f" {
      count         = 0
      substitutions = { a = "b" }
    }`),
    ).toEqual(['genesyscloud_flow.f: filepath is required']);
  });

  test('an unknown argument, at the top and in a nested block', async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_integration_action" "a" {
      ${ACTION_OK}
      timeout_seconds = 10
      config_request {
        request_type = "POST"
        request_body = "x"
      }
    }`),
    ).toEqual([
      'genesyscloud_integration_action.a: config_request.request_body is not in the schema',
      'genesyscloud_integration_action.a: timeout_seconds is not in the schema',
    ]);
  });

  test("a present block's required argument missing, and a block written as an argument", async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_integration_action" "a" {
      ${ACTION_OK}
      config_request {
        request_url_template = "arn"
      }
      config_response = { success_template = "x" }
    }`),
    ).toEqual([
      'genesyscloud_integration_action.a: config_request.request_type is required',
      'genesyscloud_integration_action.a: config_response is a block, not an argument',
    ]);
  });

  test('dynamic blocks are checked as the blocks they stand for', async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_integration_action" "a" {
      ${ACTION_OK}
      dynamic "config_request" {
        for_each = [1]
        content {
          method = "POST"
        }
      }
      dynamic "secure" {
        for_each = [1]
        content {}
      }
    }`),
    ).toEqual([
      'genesyscloud_integration_action.a: config_request.method is not in the schema',
      'genesyscloud_integration_action.a: config_request.request_type is required',
      'genesyscloud_integration_action.a: dynamic "secure" is not a block of the schema',
    ]);
  });

  test("Terraform's meta-arguments are not the provider's, and pass", async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_flow" "f" {
      ${FLOW_OK}
      for_each   = toset(["a"])
      depends_on = [genesyscloud_integration.lambda]
      provider   = genesyscloud.other
      lifecycle {
        create_before_destroy = true
      }
    }`),
    ).toEqual([]);
  });

  test('a resource type the snapshot does not hold', async () => {
    expect(
      await complaintsAbout(`resource "genesyscloud_flows" "f" {
      ${FLOW_OK}
    }`),
    ).toEqual(['genesyscloud_flows.f: genesyscloud_flows is not in the schema snapshot (v1.84.1)']);
  });

  test('a provider setting', async () => {
    expect(
      checkProviderBlocks(await parseTerraform({ 'p.tf': 'provider "genesyscloud" {\n  sdk_debug = true\n}\n' })),
    ).toEqual([
      'provider genesyscloud: sdk_debug is set, and the snapshot holds no provider settings to check it against',
    ]);
  });

  test.each([
    ['>= 1.40.0', ['it admits 1.84.0', 'it admits 1.85.0']],
    ['~> 1.84', ['it admits 1.84.0', 'it admits 1.85.0']],
    ['~> 1.85.0', ['it refuses 1.84.1', 'it admits 1.85.0']],
    ['1.84.0', ['it refuses 1.84.1', 'it admits 1.84.0']],
    ['latest', ['it is not a version constraint']],
  ])('a version constraint that does not name the snapshot: %s', async (constraint, reasons) => {
    const files = await parseTerraform({
      'v.tf':
        `terraform {\n  required_providers {\n    genesyscloud = {\n      source  = "mypurecloud/genesyscloud"\n` +
        `      version = "${constraint}"\n    }\n  }\n}\n`,
    });
    expect(checkVersionConstraint(files, '1.84.1')).toEqual([
      `required_providers genesyscloud: version "${constraint}" ` +
        `must admit the snapshot's 1.84.1 and nothing outside 1.84.x from it on: ${reasons.join(', ')}`,
    ]);
  });

  test.each([['~> 1.84.1'], ['>= 1.84.1, < 1.85.0'], ['1.84.1']])(
    'a constraint that names it: %s',
    async (constraint) => {
      const files = await parseTerraform({
        'v.tf':
          `terraform {\n  required_providers {\n    genesyscloud = {\n      source  = "mypurecloud/genesyscloud"\n` +
          `      version = "${constraint}"\n    }\n  }\n}\n`,
      });
      expect(checkVersionConstraint(files, '1.84.1')).toEqual([]);
    },
  );

  test("version constraints read as Terraform's documentation gives them", () => {
    expect(['1.84.1', '1.84.9'].map((v) => admits('~> 1.84.1', v))).toEqual([true, true]);
    expect(['1.84.0', '1.85.0', '2.0.0'].map((v) => admits('~> 1.84.1', v))).toEqual([false, false, false]);
    expect(['1.84.0', '1.99.0', '2.0.0'].map((v) => admits('~> 1.84', v))).toEqual([true, true, false]);
    expect(['1.84.1', '1.85.0'].map((v) => admits('>= 1.84.1, != 1.84.3, < 1.85.0', v))).toEqual([true, false]);
    expect(admits('!= 1.84.3', '1.84.3')).toBe(false);
    expect(admits('<= 1.84.1', '1.84.2')).toBe(false);
    expect(admits('> 1.84.1', '1.84.1')).toBe(false);
  });
});
