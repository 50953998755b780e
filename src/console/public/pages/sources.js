import { api, query } from '../api.js';
import { append, field, h, table } from '../dom.js';
import { pageHeader } from '../ui.js';

export async function render(view) {
  const [{ sources }, { networks }] = await Promise.all([api('GET', '/v1/sources'), api('GET', '/v1/networks')]);
  append(
    view,
    ...pageHeader(
      'Sources',
      'Where postbacks come from: the URL to paste into each network. Its key is left out (the relay stores only a digest): add yours where it says.',
    ),
    sources.length === 0 ? h('p', { class: 'empty' }, 'No source yet: create one with PUT /v1/sources/:id.') : undefined,
    ...sources.map((source) => sourceCard(source, networks)),
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
