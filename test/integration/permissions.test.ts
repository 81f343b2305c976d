/**
 * The permissions Genesys publishes per endpoint, enforced by the emulator for the role given to
 * the OAuth client: the lookup needs conversation:communication:view, the attributes PATCH lists
 * none. A missing permission is AUTH_FAILED with a message that names it.
 */
import { DOCUMENTED_ROLE } from '../emulators/genesys';
import { CLIENT_ID } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => h.genesys.setPermissions(CLIENT_ID, DOCUMENTED_ROLE));

const sentFor = (conversationId: string) =>
  h.genesys.arrivals.filter((r) => r.conversationId === conversationId).map((r) => `${r.method} ${r.status}`);

describe('with the documented role (conversation:communication:view)', () => {
  test('a flag by conversation id only looks the participant up and sets the attributes', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h.flagger().flag({ conversationId, compliance_checked: true }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2, participantId });
    expect(sentFor(conversationId)).toEqual(['GET 200', 'PATCH 202']);
  });
});

describe('with a role that lacks conversation:communication:view', () => {
  beforeEach(() => h.genesys.setPermissions(CLIENT_ID, ['routing:queue:view']));

  test('the lookup is refused once, not retried: AUTH_FAILED naming the permission, nothing PATCHed', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h.flagger().flag({ conversationId, compliance_checked: true }, invocation());
    expect(result).toMatchObject({
      status: 'AUTH_FAILED',
      updated: false,
      attempts: 1,
      httpStatus: 403,
      participantId: '',
    });
    expect(result.message).toContain("the OAuth client's role lacks conversation:communication:view");
    expect(result.message).toContain('403 missing.any.permissions');
    expect(result.message).toContain('send participantId');
    expect(sentFor(conversationId)).toEqual(['GET 403']);
    expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({});
  });

  test('a flag that names the participant needs no permission: the PATCH lists none', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h.flagger().flag({ conversationId, participantId, compliance_checked: true }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
    expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
  });
});

describe("a PATCH refused with 403: Genesys's text is untrusted", () => {
  test('only validated permission names reach the message, which stays bounded', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    // Past the first 4 KiB nothing is looked at.
    const message =
      'You are missing <script>x</script> sentinel-value-4417 architect:flow:view, a:b:c:d:e, ' +
      `x:1 ${'z'.repeat(5000)} late:permission:name`;
    h.genesys.script(
      'patch-attributes',
      [{ status: 403, body: JSON.stringify({ code: 'missing.permissions', message, status: 403 }) }],
      conversationId,
    );
    const result = await h.flagger().flag({ conversationId, participantId, compliance_checked: true }, invocation());
    expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 1, httpStatus: 403 });
    expect(result.message).toBe(
      'Genesys refused the attributes PATCH (403 missing.permissions; Genesys names architect:flow:view); ' +
        'it lists no required permission: check that the OAuth client has a role in the org',
    );
  });
});
