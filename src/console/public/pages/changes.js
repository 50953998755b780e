import { api, query } from '../api.js';
import { append, h, table, time } from '../dom.js';
import { pageHeader } from '../ui.js';

export async function render(view, { query: search }) {
  const page = await api('GET', `/v1/changes${query({ limit: 50, cursor: search.get('cursor') })}`);
  append(
    view,
    ...pageHeader('Changes', 'Every change made through the admin API or this console, newest first.'),
    table(
      'Admin changes',
      [
        { label: 'When', cell: (row) => time(row.at) },
        { label: 'Who', cell: (row) => row.token },
        { label: 'What', cell: (row) => `${row.method} ${row.path}` },
        { label: 'Answer', cell: (row) => String(row.status) },
        {
          label: 'Before and after',
          cell: (row) =>
            h(
              'details',
              {},
              h('summary', {}, 'Show'),
              h('h3', {}, 'Before'),
              h('pre', {}, JSON.stringify(row.before, null, 2)),
              h('h3', {}, 'After'),
              h('pre', {}, JSON.stringify(row.after, null, 2)),
            ),
        },
      ],
      page.changes,
      'No changes recorded.',
    ),
    page.next_cursor
      ? h('p', {}, h('a', { href: `#/changes?cursor=${encodeURIComponent(page.next_cursor)}` }, 'Older changes'))
      : undefined,
  );
}
