// Elements are built with the DOM API, never from HTML strings: values from
// the API (click ids, URLs, tracker bodies) are text, whatever they contain.

/** `h('button', {type: 'button', onclick: fn}, 'Save')`. Falsy attributes are left out; `true` sets an empty one. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** `parent.append` that leaves out absent parts (`cond ? node : undefined`). */
export function append(parent, ...children) {
  parent.append(...children.flat(Infinity).filter((child) => child !== undefined && child !== null && child !== false));
  return parent;
}

let ids = 0;
/** A unique element id, for `<label for>` and aria references. */
export const uid = (stem = 'f') => `${stem}-${++ids}`;

/** A labelled form control: `field('Click id', h('input', {name: 'click_id'}))`. */
export function field(label, control, hint) {
  control.id ||= uid(control.name || 'f');
  const hintEl = hint ? h('span', { class: 'hint', id: uid('hint') }, hint) : undefined;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A table with a caption and column headers; `columns`: [{label, cell: (row) => Node|string}]. */
export function table(caption, columns, rows, empty = 'Nothing to show.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {},
            columns.map((c) => h('td', {}, c.cell(row) ?? '')),
          ),
        ),
      ),
    ),
  );
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return h(
    'time',
    { datetime: iso },
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
  );
}

/** A message region screen readers announce when its text changes. */
export function statusLine() {
  const el = h('p', { role: 'status', class: 'status' });
  return {
    el,
    ok(text) {
      el.className = 'status ok';
      el.textContent = text;
    },
    error(text) {
      el.className = 'status error';
      el.textContent = text;
    },
    clear() {
      el.className = 'status';
      el.textContent = '';
    },
  };
}
