import { credentialsSecret } from '../../support/emulator-env';
import { flagParticipant, HUNG_SECRET, runMatrix, withContext } from './matrix';
import { ROWS } from './rows/secret';

runMatrix(ROWS);

// Found by this suite: @smithy/node-http-handler only logs when `requestTimeout` passes unless
// `throwOnRequestTimeout: true` is set, and CachedSecret shares its one in-flight read with every
// later caller, so a single hung GetSecretValue used to leave the container answering TIMEOUT to
// every flag. lib/aws/secrets-manager-client.ts now sets it. Runs after every row (nothing else in
// flight), since it scripts the shared Secrets Manager queue.

test(HUNG_SECRET, async () => {
  await withContext(async (ctx, counts) => {
    ctx.putSecret(credentialsSecret());
    const flagger = ctx.cold({ FLAG_DEADLINE_MS: '600', FLAG_ATTEMPT_TIMEOUT_MS: '200' }); // SDK requestTimeout: 200 ms
    ctx.secrets.script([{ hang: true }]);
    const first = await flagParticipant(ctx, flagger);
    expect({ status: first.status, secretReads: counts().secretReads }).toEqual({ status: 'UPDATED', secretReads: 2 });
    const second = await flagParticipant(ctx, flagger);
    expect({ status: second.status, secretReads: counts().secretReads }).toEqual({ status: 'UPDATED', secretReads: 2 });
  });
});
