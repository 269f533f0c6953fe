import { z } from 'zod';
import { defineMessage } from '@meridian/contracts/core';

/**
 * Rotate identity's token-signing key now (a platform administrator's command; the schedule rotates
 * it too, every IDENTITY_KEY_ROTATION_HOURS). The next key is published on `meridian.identity.keys`
 * at once and signs after IDENTITY_KEY_ACTIVATION_DELAY_MS; the old key keeps verifying until its
 * tokens have expired. Sent while a rotation is under way, it joins that rotation.
 */
export const RotateSigningKeyV1 = defineMessage(
  'meridian.identity.keys.rotate.v1',
  'command',
  z.strictObject({ reason: z.string().trim().min(1).max(200) }),
  'Rotate the access-token signing key now (platform administrators only).',
);
