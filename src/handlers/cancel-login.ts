import { InteractionResponseType } from '../discord/constants.ts';
import type { ComponentHandler } from '../discord/handler.ts';
import { ephemeralMessage } from '../discord/messages.ts';
import { discordTranslator } from '../i18n/locales.ts';
import { loginSession } from '../login/stub.ts';
import { cancelledMessage, parseCancelCustomId } from '../login/views.ts';

/**
 * The Cancel button under a login code. The button's custom_id names the session and its owner; only the owner
 * may cancel. The message turns into "cancelled" in the same answer (type 7).
 */
export const cancelLogin: ComponentHandler = async (interaction, { env }) => {
  const t = discordTranslator(interaction.locale, interaction.guildLocale);
  const target = parseCancelCustomId(interaction.customId);
  if (!target) return ephemeralMessage(t.t('cancel.invalid'));
  const result = await loginSession(env, target.discordUserId).cancel(target.sessionId, interaction.userId);
  switch (result) {
    case 'cancelled': {
      const { content, embeds, components, allowed_mentions } = cancelledMessage(t);
      return {
        type: InteractionResponseType.UpdateMessage,
        data: { content: content ?? '', embeds: embeds ?? [], components: components ?? [], allowed_mentions: allowed_mentions ?? undefined },
      };
    }
    case 'not-owner':
      return ephemeralMessage(t.t('cancel.notOwner'));
    case 'not-active':
      return ephemeralMessage(t.t('cancel.ended'));
  }
};
