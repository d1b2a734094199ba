// The message box's grammar, as Discord's slash-command bar reads it: `/login provider:github`. Pure functions
// (no DOM), so app.js stays about the page and these can be checked in isolation: parsing a line into a command
// and its options, and what the suggestion list offers while the user types (commands, then options, then the
// bot's own choices for an autocompleted option, which app.js asks the Worker for). The commands are the ones
// Discord's client shows: in the user's language (`localizeCommands`), mapped back to the registered names that
// Discord puts in the interaction (`registeredNames`).

// A name as Discord allows it (letters of any script, digits, - _ '), then the value.
const OPTION = /^([-_'\p{L}\p{N}\p{M}]{1,32}):(.*)$/su;

/** A name or description in `locale` if the command registered one for it, else the default: what Discord shows. */
const localized = (item, field, locale) => item[`${field}_localizations`]?.[locale] ?? item[field];

/**
 * The registered commands as a user whose Discord is in `locale` sees them: each name and description in that
 * language, with `registeredName`, the name the interaction carries whatever the language.
 */
export function localizeCommands(commands, locale) {
  return commands.map((command) => ({
    name: localized(command, 'name', locale),
    description: localized(command, 'description', locale),
    registeredName: command.name,
    options: command.options.map((option) => ({
      ...option,
      name: localized(option, 'name', locale),
      description: localized(option, 'description', locale),
      registeredName: option.name,
    })),
  }));
}

/** A command and its options as typed (shown names) -> as Discord delivers them (registered names). */
export function registeredNames({ name, options }, shown) {
  const command = shown.find((c) => c.name === name);
  if (!command) return { name, options };
  const optionName = (typed) => command.options.find((o) => o.name === typed)?.registeredName ?? typed;
  return { name: command.registeredName, options: Object.fromEntries(Object.entries(options).map(([key, value]) => [optionName(key), value])) };
}

/**
 * `/login provider:github` -> `{ name: 'login', options: { provider: 'github' } }`. An unknown command is passed
 * on as it is (the server names the commands there are). Throws an Error whose message is for the user.
 */
export function parseCommand(text, commands) {
  const [head = '', ...tokens] = text.trim().split(/\s+/);
  const name = head.replace(/^\//, '');
  const command = commands.find((c) => c.name === name);
  const options = {};
  if (!command) return { name, options };
  for (const token of tokens) {
    const match = OPTION.exec(token);
    const example = command.options[0] ? ` ${command.options[0].name}:…` : '';
    if (!match) throw new Error(command.options.length ? `write options as name:value, e.g. /${name}${example}` : `/${name} takes no options`);
    const [, option, value] = match;
    if (!command.options.some((o) => o.name === option)) {
      throw new Error(command.options.length ? `/${name} has no option ${option}: try ${command.options.map((o) => `${o.name}:`).join(', ')}` : `/${name} takes no options`);
    }
    if (value === '') throw new Error(`${option}: needs a value`);
    options[option] = value;
  }
  return { name, options };
}

/**
 * What the suggestion list offers for `text` (the caret is at its end), or undefined for nothing:
 * - `commands`: while the command's name is typed (`/lo`); `exact` when it is typed in full;
 * - `options`: after the command, the options not given yet whose name starts with what is typed;
 * - `choices`: inside an autocompleted option (`provider:gi`): the bot must be asked, with `focused`, what was
 *   `typed` so far and the other options already `filled`; `prefix` is the text before that option.
 * Each item is `{ label, detail, text }`: `text` is the message box's content once the item is picked.
 */
export function suggestionsFor(text, commands) {
  const naming = /^\/(\S*)$/.exec(text);
  if (naming) {
    const typed = naming[1];
    const items = commands
      .filter((c) => c.name.startsWith(typed))
      .map((c) => ({ label: `/${c.name}`, detail: c.description, text: `/${c.name}${c.options.length ? ' ' : ''}` }));
    return items.length ? { kind: 'commands', title: 'Commands', items, exact: commands.some((c) => c.name === typed) } : undefined;
  }
  const invoked = /^\/(\S+)\s+([\s\S]*)$/.exec(text);
  const command = invoked && commands.find((c) => c.name === invoked[1]);
  if (!command || command.options.length === 0) return undefined;
  const rest = invoked[2];
  const start = rest.search(/\S*$/);
  const last = rest.slice(start);
  const prefix = text.slice(0, text.length - last.length);
  const filled = {};
  for (const token of rest.slice(0, start).split(/\s+/)) {
    const match = OPTION.exec(token);
    if (match && match[2] !== '') filled[match[1]] = match[2];
  }
  const focusing = OPTION.exec(last);
  if (focusing) {
    const option = command.options.find((o) => o.name === focusing[1]);
    if (!option?.autocomplete) return undefined;
    return { kind: 'choices', title: `${option.name}: ${option.description}`, command: command.name, focused: option.name, typed: focusing[2], filled, prefix };
  }
  const items = command.options
    .filter((o) => !(o.name in filled) && o.name.startsWith(last))
    .map((o) => ({ label: `${o.name}:`, detail: o.description, text: `${prefix}${o.name}:` }));
  return items.length ? { kind: 'options', title: `Options of /${command.name}`, items } : undefined;
}

/** The items for the choices the bot offered: picking one puts its value into the option. */
export function choiceItems(context, choices) {
  return choices.map((choice) => ({ label: choice.name, detail: undefined, text: `${context.prefix}${context.focused}:${choice.value} ` }));
}
