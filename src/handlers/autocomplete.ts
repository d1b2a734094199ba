/**
 * Autocomplete for the `provider` options: `/login` offers the providers this deployment has enabled right now
 * (read from the live configuration, so the list is never stale), `/logout` the caller's own links. What the user
 * has typed so far filters the list.
 */
import { InteractionResponseType } from '../discord/constants.ts';
import type { AutocompleteHandler } from '../discord/handler.ts';
import { focusedOption } from '../discord/interaction.ts';
import { truncate } from '../discord/messages.ts';
import { findLinks } from '../links/store.ts';
import { enabledProviders, providerLabel } from '../providers/registry.ts';

interface Choice {
  name: string;
  value: string;
}

/** Discord shows at most 25 choices, each name 1–100 characters. */
function answer(choices: Choice[], typed: string) {
  const wanted = typed.trim().toLowerCase();
  const matching = choices.filter((c) => !wanted || c.value.includes(wanted) || c.name.toLowerCase().includes(wanted));
  return {
    type: InteractionResponseType.ApplicationCommandAutocompleteResult,
    data: { choices: matching.slice(0, 25).map((c) => ({ name: truncate(c.name, 100), value: c.value })) },
  } as const;
}

export const loginProviders: AutocompleteHandler = (interaction, { env }) => {
  const typed = focusedOption(interaction)?.typed ?? '';
  return answer(enabledProviders(env).map((p) => ({ name: p.name, value: p.id })), typed);
};

export const ownLinks: AutocompleteHandler = async (interaction, { env }) => {
  const typed = focusedOption(interaction)?.typed ?? '';
  const links = await findLinks(env.DB, interaction.userId);
  return answer(links.map((l) => ({ name: `${providerLabel(env, l.provider)} (${l.name})`, value: l.provider })), typed);
};
