import { api, query } from '../api.js';
import { append, field, h, statusLine, table, time } from '../dom.js';
import { changeButton, pageHeader } from '../ui.js';

const STATES = ['', 'pending', 'unattributed', 'suppressed', 'no_postback', 'delivered', 'failed'];
const FILTERS = ['click_id', 'source', 'account', 'offer_id', 'state', 'since', 'until'];

export async function render(view, { params, query: search }) {
  if (params[0]) return detail(view, params[0]);
  const input = (name, attrs = {}) => h('input', { name, value: search.get(name) ?? '', ...attrs });
  const state = h(
    'select',
    { name: 'state' },
    STATES.map((s) => h('option', { value: s, selected: search.get('state') === s }, s || 'any')),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Search conversions' },
    field('Click id', input('click_id', { autocomplete: 'off' })),
    field('Source', input('source')),
    field('Account', input('account')),
    field('Offer id', input('offer_id')),
    field('State', state),
    field('Received since', input('since', { type: 'datetime-local', value: local(search.get('since')) }), 'your local time'),
    field('Received until', input('until', { type: 'datetime-local', value: local(search.get('until')) }), 'your local time'),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = {};
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? '').trim();
      if (value) params[name] = name === 'since' || name === 'until' ? new Date(value).toISOString() : value;
    }
    location.hash = `#/conversions${query(params)}`;
  });
  append(
    view,
    ...pageHeader('Conversions', 'Find a conversion by its click id, or by source, account, offer, state and time.'),
    form,
  );

  const filters = Object.fromEntries(FILTERS.map((name) => [name, search.get(name) ?? undefined]));
  const page = await api('GET', `/v1/conversions${query({ ...filters, limit: 50, cursor: search.get('cursor') })}`);
  append(
    view,
    h(
      'section',
      { 'aria-labelledby': 'results-h' },
      h('h2', { id: 'results-h' }, 'Results'),
      // The API's own export of every match (the session cookie authenticates a GET like any other).
      h(
        'p',
        { class: 'actions' },
        h(
          'a',
          { href: `/v1/conversions${query({ ...filters, format: 'csv' })}`, download: 'conversions.csv' },
          'Export every match as CSV',
        ),
        h(
          'a',
          { href: `/v1/conversions${query({ ...filters, format: 'ndjson' })}`, download: 'conversions.ndjson' },
          'Export as NDJSON',
        ),
      ),
      table(
        'Conversions, newest first',
        [
          { label: 'Received', cell: (row) => time(row.received_at) },
          { label: 'Conversion', cell: (row) => h('a', { href: `#/conversions/${encodeURIComponent(row.id)}` }, row.id) },
          { label: 'Click id', cell: (row) => row.click_id ?? '' },
          { label: 'Source', cell: (row) => row.source },
          { label: 'Account', cell: (row) => row.account ?? '' },
          { label: 'Event', cell: (row) => row.event ?? '' },
          { label: 'State', cell: (row) => h('span', { class: `badge state-${row.state}` }, row.state) },
        ],
        page.conversions,
        'No conversion matches.',
      ),
      page.next_cursor
        ? h('p', {}, h('a', { href: `#/conversions${query({ ...filters, cursor: page.next_cursor })}` }, 'Older conversions'))
        : undefined,
    ),
  );
}

function local(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

async function detail(view, id) {
  const conversion = await api('GET', `/v1/conversions/${encodeURIComponent(id)}`);
  const status = statusLine();
  const fields = Object.entries(conversion).filter(([key, value]) => typeof value === 'string' && key !== 'id');
  append(
    view,
    h('p', {}, h('a', { href: '#/conversions' }, '← Back to the search')),
    ...pageHeader(`Conversion ${conversion.id}`),
    status.el,
    h(
      'section',
      { 'aria-labelledby': 'fields-h' },
      h('h2', { id: 'fields-h' }, 'As received'),
      h(
        'dl',
        { class: 'fields' },
        fields.map(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'deliveries-h' },
      h('h2', { id: 'deliveries-h' }, `Deliveries (${conversion.deliveries.length})`),
      conversion.deliveries.length === 0
        ? h('p', { class: 'empty' }, conversion.reason ?? 'No delivery was made for this conversion.')
        : undefined,
      conversion.deliveries.map((delivery) =>
        h(
          'article',
          { class: 'delivery', 'aria-labelledby': `d-${delivery.id}` },
          h(
            'h3',
            { id: `d-${delivery.id}` },
            `Delivery ${delivery.id}: `,
            h('span', { class: `badge state-${delivery.state}` }, delivery.state),
          ),
          h('p', {}, 'To ', h('code', {}, delivery.url)),
          delivery.state === 'failed'
            ? changeButton('Redrive', async () => {
                try {
                  const answer = await api('POST', `/v1/deliveries/${encodeURIComponent(delivery.id)}/retry`);
                  status.ok(`Delivery ${delivery.id} requeued to ${answer.url}.`);
                } catch (error) {
                  status.error(`Redrive of ${delivery.id} refused: ${error.message}`);
                }
              })
            : undefined,
          table(
            `Attempts of delivery ${delivery.id}`,
            [
              { label: '#', cell: (a) => String(a.attempt) },
              { label: 'When', cell: (a) => time(a.at) },
              { label: 'URL', cell: (a) => h('code', { class: 'url' }, a.url) },
              { label: 'Status', cell: (a) => (a.status !== undefined ? String(a.status) : (a.error ?? '')) },
              { label: 'Latency', cell: (a) => `${Math.round(a.latency_ms)} ms` },
              { label: 'Outcome', cell: (a) => a.outcome },
              { label: 'Body', cell: (a) => h('code', { class: 'body' }, a.body) },
            ],
            delivery.attempts,
            'No attempt yet.',
          ),
        ),
      ),
    ),
  );
}
