import { api, query } from '../api.js';
import { append, field, h, statusLine, table } from '../dom.js';
import { changeButton, pageHeader } from '../ui.js';

/** What the last save said, shown again once the page is drawn anew with the saved source. */
let savedNotice = '';

export async function render(view) {
  const [{ sources }, { networks }] = await Promise.all([api('GET', '/v1/sources'), api('GET', '/v1/networks')]);
  append(
    view,
    ...pageHeader(
      'Sources',
      'Where postbacks come from: the URL to paste into each network. Its key is left out (the relay stores only a digest): add yours where it says.',
    ),
    sources.length === 0 ? h('p', { class: 'empty' }, 'No source yet: create one below.') : undefined,
    ...sources.map((source) => sourceCard(source, networks)),
    sourceForm(sources, networks, async (notice) => {
      savedNotice = notice;
      view.replaceChildren();
      await render(view);
    }),
  );
  await Promise.all([...view.querySelectorAll('select[data-source]')].map((select) => select.onchangeAsync()));
}

function sourceCard(source, networks) {
  const select = h(
    'select',
    { 'data-source': source.id },
    networks.map((n) => h('option', { value: n.id, selected: n.id === (source.network ?? 'generic') }, n.name ?? n.id)),
  );
  const url = h('input', { readonly: true, class: 'wide', value: '' });
  const notes = h('ul', { class: 'notes' });
  const parameters = h('div');
  select.onchangeAsync = async () => {
    const answer = await api(
      'GET',
      `/v1/sources/${encodeURIComponent(source.id)}/postback-url${query({ network: select.value })}`,
    );
    url.value = answer.url;
    notes.replaceChildren(...answer.notes.map((note) => h('li', {}, note)));
    parameters.replaceChildren(
      table(
        `Parameters of the ${answer.network} URL`,
        [
          { label: 'Parameter', cell: (row) => row[0] },
          { label: 'Carries', cell: (row) => (typeof row[1] === 'string' ? row[1] : JSON.stringify(row[1])) },
        ],
        Object.entries(answer.parameters ?? {}),
      ),
    );
  };
  select.addEventListener('change', () => select.onchangeAsync());
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        url.select();
        await navigator.clipboard?.writeText(url.value).catch(() => {});
      },
    },
    'Copy URL',
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': `src-${source.id}` },
    h('h2', { id: `src-${source.id}` }, `Source ${source.id}`),
    h('p', {}, `Default account: ${source.default_account ?? 'none'}; network preset: ${source.network ?? 'none'}.`),
    field('Network', select),
    field(`Postback URL for source ${source.id}`, url),
    copy,
    notes,
    parameters,
  );
}

/** Comma- or space-separated text as a list, empty entries left out. */
const listOf = (text) =>
  text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);

/**
 * Create a source or change one (PUT /v1/sources/:id). Picking an existing id
 * fills the form with what it holds; its key is never shown, and a blank key
 * keeps the stored one.
 */
function sourceForm(sources, networks, onSaved) {
  const input = (name, attrs = {}) => h('input', { name, autocomplete: 'off', ...attrs });
  const id = input('id', { list: 'source-ids', required: true });
  const key = input('key', { type: 'password', autocomplete: 'new-password' });
  const defaultAccount = input('default_account');
  const accounts = input('accounts');
  const ipAllow = input('ip_allow');
  const network = h(
    'select',
    { name: 'network' },
    h('option', { value: '' }, 'none (default names)'),
    networks.map((n) => h('option', { value: n.id }, n.name ?? n.id)),
  );
  const status = statusLine();
  if (savedNotice) {
    status.ok(savedNotice);
    // The page was drawn anew, so the Save button that had focus is gone: focus goes to what it said.
    status.el.tabIndex = -1;
    setTimeout(() => status.el.focus());
  }
  savedNotice = '';
  id.addEventListener('change', () => {
    const existing = sources.find((source) => source.id === id.value.trim());
    if (!existing) return;
    defaultAccount.value = existing.default_account ?? '';
    accounts.value = (existing.accounts ?? []).join(', ');
    ipAllow.value = existing.ip_allow.join(', ');
    network.value = existing.network ?? '';
  });
  const save = changeButton('Save source', async () => {
    status.clear();
    const sourceId = id.value.trim();
    if (!sourceId) return status.error('A source needs an id.');
    const existing = sources.find((source) => source.id === sourceId);
    const body = {
      ...(key.value ? { key: key.value } : {}),
      ip_allow: listOf(ipAllow.value),
      ...(defaultAccount.value.trim() ? { default_account: defaultAccount.value.trim() } : {}),
      ...(accounts.value.trim() ? { accounts: listOf(accounts.value) } : {}),
      ...(network.value ? { network: network.value } : {}),
      // Parameter mappings are kept as they are; they are edited through the API.
      ...(existing ? { params: existing.params, require_click: existing.require_click } : {}),
    };
    try {
      const answer = await api('PUT', `/v1/sources/${encodeURIComponent(sourceId)}`, body);
      const warnings = (answer.warnings ?? []).map((w) => `${w.path}: ${w.message}`);
      await onSaved([`Saved source ${sourceId}.`, ...warnings].join(' '));
    } catch (error) {
      status.error(`Not saved: ${error.message}`);
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'source-form-h' },
    h('h2', { id: 'source-form-h' }, 'Create or change a source'),
    h(
      'datalist',
      { id: 'source-ids' },
      sources.map((source) => h('option', { value: source.id })),
    ),
    h(
      'div',
      { class: 'filters' },
      field('Source id', id, 'as in /postback/{id}'),
      field('Key', key, 'at least 8 characters; blank keeps the stored key'),
      field('Default account', defaultAccount),
      field('Accounts it may reach', accounts, 'comma list; * for any; blank: any, with a warning'),
      field('Network', network),
      field('Caller addresses', ipAllow, 'comma list of CIDRs; blank: any'),
    ),
    save,
    status.el,
  );
}
