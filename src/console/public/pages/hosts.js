import { api } from '../api.js';
import { append, h, statusLine, table, time } from '../dom.js';
import { changeButton, pageHeader } from '../ui.js';

const DONE = { pause: 'paused', resume: 'resumed', reset: 'circuit reset' };

/** `message` is what the last action did, shown once the page is drawn again. */
export async function render(view, _route, message) {
  const { hosts } = await api('GET', '/v1/hosts');
  const status = statusLine();
  const act = (host, action) => async () => {
    try {
      await api('POST', `/v1/hosts/${encodeURIComponent(host)}/${action}`);
      await render(view, _route, `${host}: ${DONE[action]}.`);
      view.querySelector(`[aria-label="${CSS.escape(`${action === 'pause' ? 'Resume' : 'Pause'} ${host}`)}"]`)?.focus();
    } catch (error) {
      status.error(`${host}: ${action} failed: ${error.message}`);
    }
  };
  if (message) status.ok(message);
  // Drawn again in place after an action (fetched first, so nothing flashes).
  view.replaceChildren();
  append(
    view,
    ...pageHeader(
      'Hosts',
      'Tracker hosts: pausing parks their deliveries without failing them; resuming or resetting sends again now.',
    ),
    status.el,
    table(
      'Tracker hosts',
      [
        { label: 'Host', cell: (row) => row.host },
        { label: 'Circuit', cell: (row) => h('span', { class: `badge circuit-${row.circuit}` }, row.circuit) },
        { label: 'Paused', cell: (row) => (row.paused ? h('span', { class: 'badge paused' }, 'paused') : 'no') },
        { label: 'In flight', cell: (row) => String(row.in_flight) },
        { label: 'Waiting', cell: (row) => String(row.parked) },
        { label: 'Failures in a row', cell: (row) => String(row.consecutive_failures) },
        { label: 'Last error', cell: (row) => (row.last_error ? [row.last_error, ' ', time(row.last_error_at)] : '') },
        {
          label: 'Actions',
          cell: (row) =>
            h(
              'div',
              { class: 'actions' },
              row.paused
                ? changeButton('Resume', act(row.host, 'resume'), { 'aria-label': `Resume ${row.host}` })
                : changeButton('Pause', act(row.host, 'pause'), { 'aria-label': `Pause ${row.host}` }),
              changeButton('Reset circuit', act(row.host, 'reset'), {
                'aria-label': `Reset circuit of ${row.host}`,
                disabled: row.circuit === 'closed',
              }),
            ),
        },
      ],
      hosts,
      'No tracker host has been sent to yet.',
    ),
  );
}
