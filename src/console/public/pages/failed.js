import { api, canChange, query } from '../api.js';
import { append, field, h, statusLine, table, time } from '../dom.js';
import { changeButton, pageHeader } from '../ui.js';

/** `message` is what the last action did, shown once the page is drawn again. */
export async function render(view, route, message) {
  const search = route.query;
  const filters = { account: search.get('account') ?? undefined, host: search.get('host') ?? undefined };
  const page = await api('GET', `/v1/deliveries${query({ state: 'failed', limit: 100, ...filters })}`);
  const status = statusLine();
  const chosen = new Set();
  const reload = (text, ok = true) => render(view, route, { text, ok });
  if (message) (message.ok ? status.ok : status.error)(message.text);
  const redrive = async (ids) => {
    const done = [];
    const refused = [];
    for (const id of ids) {
      try {
        await api('POST', `/v1/deliveries/${encodeURIComponent(id)}/retry`);
        done.push(id);
      } catch (error) {
        refused.push(`${id}: ${error.message}`);
      }
    }
    await reload(`Requeued ${done.length}.${refused.length ? ` Refused: ${refused.join('; ')}` : ''}`, refused.length === 0);
  };

  const account = h('input', { name: 'account', value: filters.account ?? '' });
  const host = h('input', { name: 'host', value: filters.host ?? '' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter failed deliveries' },
    field('Account', account),
    field('Host', host),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/failed${query({ account: account.value.trim(), host: host.value.trim() })}`;
  });

  const selectedButton = changeButton('Redrive selected', () => redrive([...chosen]), { disabled: true });
  const allButton = changeButton(
    `Redrive all failed${filters.account || filters.host ? ' matching the filter' : ''}`,
    async () => {
      try {
        const answer = await api('POST', '/v1/deliveries/retry', {
          ...(filters.account ? { account: filters.account } : {}),
          ...(filters.host ? { host: filters.host } : {}),
        });
        await reload(
          `Requeued ${answer.requeued} of ${answer.matched}${answer.template_gone ? `; ${answer.template_gone} have no template any more` : ''}${answer.more ? '; more remain: press again' : ''}.`,
        );
      } catch (error) {
        status.error(`Bulk redrive refused: ${error.message}`);
      }
    },
    { disabled: page.deliveries.length === 0 },
  );

  // Drawn again in place after a redrive (fetched first, so nothing flashes).
  view.replaceChildren();
  append(
    view,
    ...pageHeader(
      'Failed deliveries',
      'Deliveries that gave up. Fix the account’s template first if the URL was wrong: a redrive renders the URL again from the current template.',
    ),
    form,
    status.el,
    h('div', { class: 'actions' }, selectedButton, allButton),
    table(
      'Failed deliveries, newest first',
      [
        {
          label: 'Select',
          cell: (row) => {
            const box = h('input', { type: 'checkbox', 'aria-label': `Select delivery ${row.id}`, disabled: !canChange() });
            box.addEventListener('change', () => {
              if (box.checked) chosen.add(row.id);
              else chosen.delete(row.id);
              selectedButton.disabled = !canChange() || chosen.size === 0;
            });
            return box;
          },
        },
        { label: 'Delivery', cell: (row) => h('a', { href: `#/conversions/${encodeURIComponent(row.conversion_id)}` }, row.id) },
        { label: 'Account', cell: (row) => row.account },
        { label: 'URL', cell: (row) => h('code', { class: 'url' }, row.url) },
        { label: 'Attempts', cell: (row) => String(row.attempt_count) },
        { label: 'Last error', cell: (row) => row.last_error ?? '' },
        { label: 'Failed at', cell: (row) => time(row.updated_at) },
        {
          label: 'Action',
          cell: (row) => changeButton('Redrive', () => redrive([row.id]), { 'aria-label': `Redrive ${row.id}` }),
        },
      ],
      page.deliveries,
      'No failed delivery.',
    ),
  );
}
