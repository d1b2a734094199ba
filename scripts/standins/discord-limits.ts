/**
 * Discord's message and component limits (PLATFORM.md §4.5), checked the way Discord reports them: a 50035
 * "Invalid Form Body" whose `errors` mirror the JSON path of each bad field, ending in `_errors`, e.g.
 * `{"components":{"0":{"components":{"1":{"custom_id":{"_errors":[{code,message}]}}}}}}`.
 * The `code` strings inside `_errors` follow Discord's where known (BASE_TYPE_*, MAX_EMBED_SIZE_EXCEEDED,
 * COMPONENT_CUSTOM_ID_DUPLICATED, URL_TYPE_INVALID_SCHEME); the rest are modelled on them. Callers should only
 * rely on 50035 and the path.
 */

export const MessageFlag = {
  SuppressEmbeds: 4,
  Ephemeral: 64,
  Loading: 128,
  SuppressNotifications: 4096,
  IsComponentsV2: 32768,
} as const;

export const ComponentKind = {
  ActionRow: 1,
  Button: 2,
  StringSelect: 3,
  TextInput: 4,
  UserSelect: 5,
  RoleSelect: 6,
  MentionableSelect: 7,
  ChannelSelect: 8,
  Section: 9,
  TextDisplay: 10,
  Thumbnail: 11,
  MediaGallery: 12,
  File: 13,
  Separator: 14,
  Container: 17,
} as const;

const SELECTS: ReadonlySet<number> = new Set([3, 5, 6, 7, 8]);
const V2_TOP_LEVEL: ReadonlySet<number> = new Set([1, 9, 10, 12, 13, 14, 17]);
const LINK_STYLE = 5;
const PREMIUM_STYLE = 6;

export type Path = readonly (string | number)[];

interface ErrorNode {
  _errors?: { code: string; message: string }[];
  [key: string]: unknown;
}

/** Collects field errors into Discord's nested shape. */
export class FormErrors {
  readonly root: ErrorNode = {};
  #count = 0;

  add(path: Path, code: string, message: string): void {
    let node = this.root;
    for (const key of path) node = (node[String(key)] ??= {}) as ErrorNode;
    (node._errors ??= []).push({ code, message });
    this.#count++;
  }

  get empty(): boolean {
    return this.#count === 0;
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const length = (value: unknown) => (typeof value === 'string' ? [...value].length : 0);

function maxLength(errors: FormErrors, path: Path, value: unknown, max: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') errors.add(path, 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
  else if (length(value) > max) errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
}

function maxItems(errors: FormErrors, path: Path, value: unknown, max: number): value is unknown[] {
  if (value === undefined || value === null) return false;
  if (!Array.isArray(value)) {
    errors.add(path, 'BASE_TYPE_ARRAY', 'Must be an array.');
    return false;
  }
  if (value.length > max) errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  return true;
}

function checkEmbeds(errors: FormErrors, embeds: unknown): void {
  if (!maxItems(errors, ['embeds'], embeds, 10)) return;
  let total = 0;
  embeds.forEach((embed, i) => {
    if (!isObject(embed)) {
      errors.add(['embeds', i], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const at = (...path: (string | number)[]) => ['embeds', i, ...path];
    maxLength(errors, at('title'), embed.title, 256);
    maxLength(errors, at('description'), embed.description, 4096);
    total += length(embed.title) + length(embed.description);
    const footer = isObject(embed.footer) ? embed.footer : undefined;
    const author = isObject(embed.author) ? embed.author : undefined;
    maxLength(errors, at('footer', 'text'), footer?.text, 2048);
    maxLength(errors, at('author', 'name'), author?.name, 256);
    total += length(footer?.text) + length(author?.name);
    if (maxItems(errors, at('fields'), embed.fields, 25)) {
      (embed.fields as unknown[]).forEach((field, j) => {
        const f = isObject(field) ? field : {};
        for (const [key, max] of [['name', 256], ['value', 1024]] as const) {
          if (typeof f[key] !== 'string' || f[key] === '') errors.add(at('fields', j, key), 'BASE_TYPE_REQUIRED', 'This field is required');
          else maxLength(errors, at('fields', j, key), f[key], max);
        }
        total += length(f.name) + length(f.value);
      });
    }
  });
  if (total > 6000) errors.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

interface ComponentWalk {
  errors: FormErrors;
  customIds: Set<string>;
  count: number;
  textLength: number;
}

function checkButton(walk: ComponentWalk, button: Json, path: Path): void {
  const { errors } = walk;
  const style = button.style;
  if (typeof style !== 'number' || style < 1 || style > 6) {
    errors.add([...path, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5, 6}.');
    return;
  }
  maxLength(errors, [...path, 'label'], button.label, 80);
  if (style === LINK_STYLE) {
    if (button.custom_id !== undefined) errors.add([...path, 'custom_id'], 'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED', 'A link button cannot have a custom id.');
    if (typeof button.url !== 'string' || button.url === '') errors.add([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
    else if (length(button.url) > 512) errors.add([...path, 'url'], 'BASE_TYPE_MAX_LENGTH', 'Must be 512 or fewer in length.');
    else {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(button.url)?.[1]?.toLowerCase();
      if (scheme !== 'http' && scheme !== 'https' && scheme !== 'discord') {
        errors.add([...path, 'url'], 'URL_TYPE_INVALID_SCHEME', `Scheme "${scheme ?? ''}" is not supported. Scheme must be one of ('http', 'https', 'discord').`);
      }
    }
  } else if (style === PREMIUM_STYLE) {
    if (typeof button.sku_id !== 'string') errors.add([...path, 'sku_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
  } else {
    if (button.url !== undefined) errors.add([...path, 'url'], 'BUTTON_COMPONENT_URL_NOT_ALLOWED', 'Only link buttons can have a url.');
    checkCustomId(walk, button, path);
  }
  if (style !== PREMIUM_STYLE && (button.label === undefined || button.label === '') && button.emoji === undefined) {
    errors.add([...path, 'label'], 'BUTTON_COMPONENT_INVALID_CONTENT', 'A button must have a label or an emoji.');
  }
}

function checkCustomId(walk: ComponentWalk, component: Json, path: Path): void {
  const id = component.custom_id;
  if (typeof id !== 'string' || length(id) < 1 || length(id) > 100) {
    walk.errors.add([...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  } else if (walk.customIds.has(id)) {
    walk.errors.add([...path, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
  } else walk.customIds.add(id);
}

function checkActionRow(walk: ComponentWalk, row: Json, path: Path): void {
  const children = row.components;
  const at = [...path, 'components'];
  if (!Array.isArray(children) || children.length === 0) {
    walk.errors.add(at, 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
    return;
  }
  if (children.length > 5) walk.errors.add(at, 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.');
  const hasSelect = children.some((child) => isObject(child) && SELECTS.has(child.type as number));
  if (hasSelect && children.length > 1) {
    walk.errors.add(at, 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
  }
  children.forEach((child, i) => {
    walk.count++;
    if (!isObject(child)) return walk.errors.add([...at, i], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    if (child.type === ComponentKind.Button) checkButton(walk, child, [...at, i]);
    else if (SELECTS.has(child.type as number)) checkCustomId(walk, child, [...at, i]);
    else walk.errors.add([...at, i, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).');
  });
}

/** Components v2: walks the tree, counting every component toward the limit of 40. */
function checkV2Component(walk: ComponentWalk, component: unknown, path: Path, topLevel: boolean): void {
  walk.count++;
  if (!isObject(component)) return walk.errors.add(path, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
  const type = component.type as number;
  if (topLevel && !V2_TOP_LEVEL.has(type)) {
    return walk.errors.add([...path, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1, 9, 10, 12, 13, 14, 17).');
  }
  switch (type) {
    case ComponentKind.ActionRow:
      return checkActionRow(walk, component, path);
    case ComponentKind.Button:
      return checkButton(walk, component, path);
    case ComponentKind.TextDisplay:
      if (typeof component.content !== 'string' || component.content === '') {
        return walk.errors.add([...path, 'content'], 'BASE_TYPE_REQUIRED', 'This field is required');
      }
      walk.textLength += length(component.content);
      return;
    case ComponentKind.Section: {
      const texts = component.components;
      if (!Array.isArray(texts) || texts.length < 1 || texts.length > 3) {
        walk.errors.add([...path, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 3 in length.');
      } else texts.forEach((text, i) => checkV2Component(walk, text, [...path, 'components', i], false));
      if (component.accessory !== undefined) checkV2Component(walk, component.accessory, [...path, 'accessory'], false);
      return;
    }
    case ComponentKind.Container: {
      const children = component.components;
      if (!Array.isArray(children) || children.length === 0) {
        return walk.errors.add([...path, 'components'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
      }
      children.forEach((child, i) => checkV2Component(walk, child, [...path, 'components', i], false));
      return;
    }
    case ComponentKind.Thumbnail:
    case ComponentKind.MediaGallery:
    case ComponentKind.File:
    case ComponentKind.Separator:
      return;
    default:
      return walk.errors.add([...path, 'type'], 'UNION_TYPE_CHOICES', `Component type ${String(type)} is not allowed here.`);
  }
}

function checkComponents(errors: FormErrors, components: unknown, v2: boolean): void {
  if (components === undefined || components === null) return;
  const walk: ComponentWalk = { errors, customIds: new Set(), count: 0, textLength: 0 };
  if (!v2) {
    if (!maxItems(errors, ['components'], components, 5)) return;
    components.forEach((row, i) => {
      if (isObject(row) && row.type === ComponentKind.ActionRow) checkActionRow(walk, row, ['components', i]);
      else errors.add(['components', i, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
    });
    return;
  }
  // The limit of 40 counts nested components too, so it is checked on the total below.
  if (!maxItems(errors, ['components'], components, Infinity)) return;
  components.forEach((component, i) => checkV2Component(walk, component, ['components', i], true));
  if (walk.count > 40) errors.add(['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 40 or fewer in total components.');
  if (walk.textLength > 4000) errors.add(['components'], 'MAX_TEXT_DISPLAY_LENGTH_EXCEEDED', 'Total text display content must be 4000 or fewer in length.');
}

/**
 * Checks a message body (an interaction answer's `data`, an edit, a follow-up) against Discord's limits.
 * `flags` is the message's resulting flags (an edit keeps IS_COMPONENTS_V2 once set). Returns the errors, or
 * undefined when the body is acceptable.
 */
export function validateMessage(body: Json, flags: number): FormErrors | undefined {
  const errors = new FormErrors();
  const v2 = (flags & MessageFlag.IsComponentsV2) !== 0;
  maxLength(errors, ['content'], body.content, 2000);
  if (v2) {
    if (typeof body.content === 'string' && body.content !== '') {
      errors.add(['content'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2");
    }
    if (Array.isArray(body.embeds) && body.embeds.length > 0) {
      errors.add(['embeds'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2");
    }
  }
  checkEmbeds(errors, body.embeds);
  checkComponents(errors, body.components, v2);
  return errors.empty ? undefined : errors;
}
