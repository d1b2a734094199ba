// Building DOM nodes without innerHTML: every text from the bot or the stand-ins ends up as a text node.

/** `el('a', { href, class: 'x' }, 'text', child)`: attributes (undefined/false ones skipped), then children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== undefined && child !== null && child !== false));
  return node;
}

/** The URL if it is http(s), else undefined: a `javascript:` link from a message must never become clickable. */
export function webUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the URL points at this machine: the only place the page loads images or frames from. */
export function isLoopback(text) {
  const url = webUrl(text);
  if (!url) return false;
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
