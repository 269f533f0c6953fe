import { Controller, Inject } from '@nestjs/common';
import { CodedError, commandReply, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { AuthErrors, requirePrincipal, RotateSigningKeyV1 } from '@meridian/contracts/identity';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { SigningKeyRing } from '../keys/signing-key-ring';

/**
 * Rotation on demand. The gateway exposes it to platform administrators; the handler checks the
 * principal again, since a command on the topic did not necessarily pass the gateway. It replies
 * once the next key is published; the switch follows after the activation delay.
 */
@Controller()
export class RotateSigningKeyHandler {
  constructor(@Inject(SigningKeyRing) private readonly ring: SigningKeyRing) {}

  @CommandHandler(RotateSigningKeyV1, Topics.identityCommands)
  async rotate(request: Envelope<DataOf<typeof RotateSigningKeyV1>>): Promise<ReplyBody> {
    const principal = requirePrincipal(request);
    if (!principal.platformAdmin) {
      throw new CodedError(AuthErrors.forbiddenRole, 'only a platform administrator rotates the signing keys');
    }
    const { key } = await this.ring.rotate(`${request.data.reason} (${principal.subject})`);
    // The key ring is not an event stream: the stream id names the key that will sign, version 1.
    return commandReply({ outcome: 'accepted', streamId: `signing-key-${key.kid}`, version: 1 });
  }
}
