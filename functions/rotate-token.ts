/**
 * Secrets Manager's rotation function for the token secret (token mode); not a door, it flags
 * nothing. Secrets Manager calls it four times per rotation (createSecret, setSecret, testSecret,
 * finishSecret); a thrown error is how it learns that a step failed, so here, unlike the doors,
 * failures throw.
 */
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { createRotator } from '../lib/rotation/create-rotator';

const rotator = createRotator(process.env);

export const handler = async (event: SecretsManagerRotationEvent): Promise<void> => {
  const outcome = await rotator.rotate(event);
  if (!outcome.ok) throw new Error(outcome.error);
};
