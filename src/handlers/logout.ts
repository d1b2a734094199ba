import type { Config } from '../config.ts';
import { invokingUserId, type CommandHandler } from '../discord/dispatch.ts';
import { ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import { GraphClient } from '../facebook/graph.ts';
import { FACEBOOK_APP_SETTINGS_URL, revokeAppPermissions, type RevokeOutcome } from '../facebook/permissions.ts';
import { unlinkDiscordUser } from '../links/store.ts';

/**
 * How long /logout waits for Facebook. Discord wants the answer within 3 s of sending the interaction; this
 * leaves about 1.5 s for the trip from Discord, the D1 delete and the trip back. Answering inline (instead of
 * deferring and editing later) keeps the outcome in one honest message and needs no work after the response.
 */
export const REVOKE_TIMEOUT_MS = 1_500;

const removeItYourself = `please remove the app yourself at <${FACEBOOK_APP_SETTINGS_URL}>`;

function revokeSentence(outcome: RevokeOutcome): string {
  switch (outcome.kind) {
    case 'revoked':
      return 'Facebook confirmed that this app no longer has access to your Facebook account.';
    case 'refused':
      return (
        `Facebook refused to remove this app's access (HTTP ${outcome.status}` +
        `${outcome.code !== undefined ? `, Graph error ${outcome.code}` : ''}), so ${removeItYourself}.`
      );
    case 'facebook-error':
      return `Facebook answered with an error (HTTP ${outcome.status}), so it may still give this app access; ${removeItYourself}.`;
    case 'timeout':
      return (
        `Facebook did not answer within ${outcome.timeoutMs / 1000} s, so it is unknown whether it removed this ` +
        `app's access; to be sure, ${removeItYourself}.`
      );
    case 'unreachable':
      return `Facebook could not be reached, so ${removeItYourself}.`;
  }
}

function graphFor(config: Config): GraphClient {
  return new GraphClient({ baseUrl: config.facebookGraphUrl, timeoutMs: REVOKE_TIMEOUT_MS });
}

/**
 * `/logout`: deletes the caller's link first (so it is gone whatever Facebook does), then asks Facebook to revoke
 * the app's permissions, and says exactly what happened. A second /logout finds nothing and says so.
 */
export const logout: CommandHandler = async (interaction, { config, env }) => {
  const discordUserId = invokingUserId(interaction);
  if (!discordUserId) return ephemeralMessage('Could not tell who you are. Please try again.');
  const link = await unlinkDiscordUser(env.DB, discordUserId);
  if (!link) {
    return ephemeralMessage(
      'You are not logged in: no Facebook account is linked to your Discord account, so there was nothing to remove. ' +
        `If Facebook still lists this app, you can remove it at <${FACEBOOK_APP_SETTINGS_URL}>.`,
    );
  }
  const outcome = await revokeAppPermissions(
    graphFor(config),
    { appId: config.facebookAppId, appSecret: config.facebookAppSecret },
    link.facebookUserId,
  );
  if (outcome.kind !== 'revoked') console.warn(`/logout: Facebook did not confirm the revocation: ${JSON.stringify(outcome)}`);
  const unlinked = `Logged out: your link to the Facebook account **${escapeMarkdown(truncate(link.name, 200))}** is deleted here.`;
  return ephemeralMessage(`${unlinked}\n${revokeSentence(outcome)}`);
};
