import { api, query } from '../api.js';
import { append, field, h, table, time } from '../dom.js';
import { pageHeader } from '../ui.js';

const REASONS = [
  '',
  'unauthorized',
  'forbidden',
  'invalid_conversion',
  'method_not_allowed',
  'bad_request',
  'request_timeout',
  'unavailable',
];

export async function render(view, { query: search }) {
  const filters = {
    source: search.get('source') ?? undefined,
    reason: search.get('reason') ?? undefined,
    since: search.get('since') ?? undefined,
  };
  const page = await api('GET', `/v1/rejections${query({ ...filters, limit: 100, cursor: search.get('cursor') })}`);
  const source = h('input', { name: 'source', value: filters.source ?? '' });
  const reason = h(
    'select',
    { name: 'reason' },
    REASONS.map((r) => h('option', { value: r, selected: (filters.reason ?? '') === r }, r || 'any')),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter rejected postbacks' },
    field('Source', source, 'as sent; “unknown” for names that are not sources'),
    field('Reason', reason),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/rejections${query({ source: source.value.trim(), reason: reason.value })}`;
  });
  append(
    view,
    ...pageHeader('Rejected postbacks', 'Postbacks the relay refused, newest first: why a network’s postback did not arrive.'),
    form,
    table(
      'Rejected postbacks, newest first',
      [
        { label: 'When', cell: (row) => time(row.at) },
        { label: 'Source', cell: (row) => `${row.source}${row.known_source ? '' : ' (not a source)'}` },
        { label: 'Caller', cell: (row) => row.ip },
        { label: 'Answer', cell: (row) => `${row.status} ${row.error}` },
        { label: 'Why', cell: (row) => [row.message ?? '', row.fields?.length ? ` (fields: ${row.fields.join(', ')})` : ''] },
        { label: 'Query (key hidden)', cell: (row) => h('code', { class: 'url' }, `${row.method} ?${row.query}`) },
      ],
      page.rejections,
      'No rejected postback.',
    ),
    page.next_cursor
      ? h('p', {}, h('a', { href: `#/rejections${query({ ...filters, cursor: page.next_cursor })}` }, 'Older rejections'))
      : undefined,
  );
}
