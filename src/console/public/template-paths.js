// Where an account's templates sit in its JSON, for the editor: pure, no DOM,
// unit-tested in test/unit/console-template-paths.test.ts. A path is an
// array of keys (event names and offer ids may hold dots), e.g.
// ['postback', 'url'], ['offers', '42', 'events', 'sale'], ['postback', 'url', 1].

/** Every plain template of an account, as [path, text], in the order a reader expects. */
export function templatesOf(account) {
  const out = [];
  const add = (path, value) => {
    if (typeof value === 'string') out.push([path, value]);
    else if (Array.isArray(value)) value.forEach((text, i) => typeof text === 'string' && out.push([[...path, i], text]));
  };
  const level = (prefix, lvl) => {
    if (!lvl) return;
    add([...prefix, 'url'], lvl.url);
    for (const [event, entry] of Object.entries(lvl.events ?? {})) {
      // The long form `{url, statuses, status_map}` keeps its rules; only its url is edited.
      if (entry && typeof entry === 'object' && !Array.isArray(entry)) add([...prefix, 'events', event, 'url'], entry.url);
      else add([...prefix, 'events', event], entry);
    }
  };
  level(['postback'], account.postback);
  for (const [offer, config] of Object.entries(account.offers ?? {})) level(['offers', offer], config);
  return out;
}

/**
 * A copy of `account` with each [path, text] written; an empty text removes
 * that template (a list item, an event, an offer's url). Objects left empty
 * by a removal go too, so the account saved is what is shown.
 */
export function withTemplates(account, entries) {
  const next = structuredClone(account);
  const REMOVED = Symbol('removed');
  for (const [path, text] of entries) {
    let node = next;
    for (const [i, key] of path.slice(0, -1).entries()) {
      if (node[key] === undefined || node[key] === null) node[key] = typeof path[i + 1] === 'number' ? [] : {};
      node = node[key];
    }
    node[path.at(-1)] = text === '' ? REMOVED : text;
  }
  const prune = (value) => {
    if (Array.isArray(value)) {
      return value.filter((item) => item !== REMOVED).map(prune);
    }
    if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const pruned = child === REMOVED ? REMOVED : prune(child);
        const empty =
          pruned === REMOVED ||
          (Array.isArray(pruned) && pruned.length === 0) ||
          (isObject(pruned) && Object.keys(pruned).length === 0);
        if (empty) delete value[key];
        else value[key] = pruned;
      }
    }
    return value;
  };
  return prune(next);
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What a person calls the template at `path`. */
export function describePath(path) {
  const fan = typeof path.at(-1) === 'number' ? ` (URL ${path.at(-1) + 1})` : '';
  const [root, id, kind, event] = path;
  if (root === 'postback') return (id === 'url' ? 'Global template' : `Event “${kind}” template`) + fan;
  return (kind === 'url' ? `Offer ${id} template` : `Offer ${id}, event “${event}” template`) + fan;
}

/** The path as the API names fields in its messages: `offers.42.events.sale`. */
export const dotted = (path) => path.join('.');
