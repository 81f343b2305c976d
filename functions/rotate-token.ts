/**
 * Door for Secrets Manager rotation of the token secret (token mode). Secrets Manager calls it
 * four times per rotation (createSecret, setSecret, testSecret, finishSecret); a thrown error is
 * how it learns that a step failed, so here, unlike the other doors, failures throw.
 */
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { createRotator } from '../lib/rotation/create-rotator';

const rotator = createRotator(process.env);

export const handler = async (event: SecretsManagerRotationEvent): Promise<void> => {
  const outcome = await rotator.rotate(event);
  if (!outcome.ok) throw new Error(outcome.error);
};
