import uPlot from '/console/vendor/uPlot.esm.js';
import { api } from '../api.js';
import { append, h, table } from '../dom.js';
import { pageHeader } from '../ui.js';

const SERIES = [
  { key: 'accepted', label: 'Accepted', stroke: '#1a5fb4' },
  { key: 'delivered', label: 'Delivered', stroke: '#26734d' },
  { key: 'failed', label: 'Failed', stroke: '#c01c28' },
  { key: 'rejected', label: 'Rejected', stroke: '#8a5a00' },
];

export async function render(view) {
  const [stats, hosts] = await Promise.all([api('GET', '/v1/stats'), api('GET', '/v1/hosts')]);
  const open = hosts.hosts.filter((host) => host.circuit !== 'closed' || host.paused);
  append(
    view,
    ...pageHeader('Overview', 'What came in and went out over the last hour and day.'),
    h(
      'section',
      { 'aria-labelledby': 'counts-h' },
      h('h2', { id: 'counts-h' }, 'Conversions and deliveries'),
      table(
        'Counts',
        [
          { label: 'What', cell: (row) => row.label },
          { label: 'Last hour', cell: (row) => String(row.hour) },
          { label: 'Last 24 hours', cell: (row) => String(row.day) },
        ],
        [...SERIES.map((s) => ({ label: s.label, hour: stats[s.key].last_hour, day: stats[s.key].last_day }))],
      ),
      h(
        'p',
        { class: 'hint' },
        'Delivered and failed count deliveries by when they got there; a failure redriven since counts where it is now. ',
        stats.rejected.capped ? 'Rejected: at least these (a source refused more than the overview reads). ' : '',
        h('a', { href: '#/rejections' }, 'See the rejected postbacks.'),
      ),
      chart(stats),
    ),
    h(
      'section',
      { 'aria-labelledby': 'queues-h' },
      h('h2', { id: 'queues-h' }, 'Queue depths'),
      table(
        'Jobs by queue and state',
        [
          { label: 'Queue', cell: (row) => row.name },
          ...['waiting', 'active', 'delayed', 'prioritized', 'failed'].map((state) => ({
            label: state,
            cell: (row) => String(row.counts[state] ?? 0),
          })),
        ],
        Object.entries(stats.queues).map(([name, counts]) => ({ name, counts })),
      ),
      h('p', { class: 'hint' }, 'A failed queue job is not a failed delivery: failures live on the Failed deliveries page.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'hosts-h' },
      h('h2', { id: 'hosts-h' }, 'Hosts not sending'),
      table(
        'Hosts with an open circuit or paused',
        [
          { label: 'Host', cell: (row) => h('a', { href: '#/hosts' }, row.host) },
          { label: 'Circuit', cell: (row) => row.circuit },
          { label: 'Paused', cell: (row) => (row.paused ? 'yes' : 'no') },
          { label: 'Last error', cell: (row) => row.last_error ?? '' },
        ],
        open,
        'Every host’s circuit is closed and none is paused.',
      ),
    ),
  );
}

function chart(stats) {
  const figure = h('figure', { class: 'chart' });
  const plot = h('div', {
    role: 'img',
    'aria-label': 'Accepted, delivered and failed per hour over the last 24 hours; the table above has the totals.',
  });
  figure.append(
    plot,
    h(
      'figcaption',
      {},
      'Per hour, last 24 hours: ',
      SERIES.map((s, i) => [i ? ', ' : '', h('span', { class: `key key-${s.key}` }, s.label)]),
    ),
  );
  const data = [stats.hours.map((iso) => Date.parse(iso) / 1000), ...SERIES.map((s) => stats[s.key].hourly)];
  new uPlot(
    {
      width: Math.min(900, Math.max(320, document.getElementById('main').clientWidth - 48)),
      height: 240,
      legend: { show: false },
      series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
      axes: [{}, { label: 'per hour' }],
    },
    data,
    plot,
  );
  return figure;
}
