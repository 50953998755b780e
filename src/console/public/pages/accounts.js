import { api, canChange, query } from '../api.js';
import { append, field, h, statusLine, table } from '../dom.js';
import { changeButton, pageHeader } from '../ui.js';
import { describePath, dotted, templatesOf, withTemplates } from '../template-paths.js';

export async function render(view, { params }) {
  if (params[0]) return editor(view, params[0]);
  const { accounts } = await api('GET', '/v1/accounts');
  const id = h('input', { name: 'id', pattern: '[A-Za-z0-9_.:-]{1,64}', required: true, disabled: !canChange() });
  const create = h(
    'form',
    { class: 'filters', 'aria-label': 'New account' },
    field('New account id', id),
    h('button', { type: 'submit', disabled: !canChange() }, 'Open editor'),
  );
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    if (id.value.trim()) location.hash = `#/accounts/${encodeURIComponent(id.value.trim())}`;
  });
  append(
    view,
    ...pageHeader('Accounts', 'Each account’s postback templates: where its conversions are sent.'),
    table(
      'Accounts',
      [
        { label: 'Account', cell: (row) => h('a', { href: `#/accounts/${encodeURIComponent(row.id)}` }, row.id) },
        { label: 'Global template', cell: (row) => h('code', { class: 'url' }, [row.postback?.url ?? ''].flat().join(' ')) },
        { label: 'Events', cell: (row) => Object.keys(row.postback?.events ?? {}).join(', ') },
        { label: 'Offers', cell: (row) => Object.keys(row.offers ?? {}).join(', ') },
      ],
      accounts,
      'No account yet.',
    ),
    create,
  );
}

async function editor(view, id) {
  let account;
  try {
    account = await api('GET', `/v1/accounts/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    account = { id, postback: { url: '' } };
  }
  delete account.id;
  const status = statusLine();
  const readOnly = !canChange();

  // The example conversion every preview renders, and the test fire sends.
  const example = {
    click_id: h('input', { name: 'click_id', value: 'example-click-1' }),
    payout: h('input', { name: 'payout', value: '2.50' }),
    event: h('input', { name: 'event', value: 'conversion' }),
    offer_id: h('input', { name: 'offer_id', value: '' }),
  };
  const values = () =>
    Object.fromEntries(
      Object.entries(example)
        .map(([k, el]) => [k, el.value.trim()])
        .filter(([, v]) => v),
    );

  const rows = h('div', { class: 'templates' });
  const previews = [];
  // Each row's path (an array: ids may hold dots) by its JSON, and its input.
  const inputs = new Map();
  const addRow = (path, text) => {
    const input = h('input', {
      name: dotted(path),
      value: text,
      class: 'wide template',
      spellcheck: 'false',
      autocomplete: 'off',
      disabled: readOnly,
    });
    const output = h('output', { for: input.id || undefined, class: 'preview', 'aria-live': 'polite' });
    inputs.set(JSON.stringify(path), input);
    const row = h('div', { class: 'template-row' }, field(describePath(path), input, `in the API: ${dotted(path)}`), output);
    output.htmlFor = input.id;
    let timer;
    const preview = async () => {
      if (input.value.trim() === '') {
        output.className = 'preview';
        output.textContent = readOnly ? '' : 'Empty: this template is removed on save.';
        return;
      }
      try {
        const answer = await api('GET', `/v1/templates/render${query({ template: input.value.trim(), ...values() })}`);
        output.className = `preview ${answer.ok ? (answer.warnings.length ? 'warn' : 'ok') : 'error'}`;
        output.replaceChildren(
          answer.ok ? h('span', {}, 'Sends: ', h('code', {}, answer.url)) : h('span', {}, `Refused on save: ${answer.error}`),
          ...answer.warnings.map((w) => h('span', { class: 'warning' }, `Warning: ${w}`)),
        );
      } catch (error) {
        output.className = 'preview error';
        output.textContent = error.message;
      }
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(preview, 150);
    });
    previews.push(preview);
    rows.append(row);
    return preview();
  };
  const renderAll = () => Promise.all(previews.map((p) => p()));
  for (const el of Object.values(example)) el.addEventListener('input', () => renderAll());

  // Adding an event or offer template: a new row at that path.
  const newKind = h(
    'select',
    { name: 'kind', disabled: readOnly },
    h('option', { value: 'event' }, 'per event'),
    h('option', { value: 'offer' }, 'per offer'),
  );
  const newName = h('input', { name: 'name', disabled: readOnly, pattern: '[A-Za-z0-9_.:-]{1,64}' });
  const addButton = changeButton('Add template', () => {
    const name = newName.value.trim();
    if (!name) return status.error('Give the event name or offer id first.');
    const path = newKind.value === 'event' ? ['postback', 'events', name] : ['offers', name, 'url'];
    if (inputs.has(JSON.stringify(path))) return status.error(`${describePath(path)} is already there.`);
    addRow(path, '');
    rows.lastElementChild.querySelector('input').focus();
  });

  // Presets: the tracker's template from its address.
  const presetName = h('select', { name: 'preset', disabled: readOnly });
  const presetBase = h('input', {
    name: 'base_url',
    type: 'url',
    placeholder: 'https://trk.example.com',
    disabled: readOnly,
    class: 'wide',
  });
  const usePreset = changeButton('Use for the global template', async () => {
    try {
      const answer = await api(
        'GET',
        `/v1/templates/render${query({ preset: presetName.value, base_url: presetBase.value.trim(), ...values() })}`,
      );
      const global = inputs.get(JSON.stringify(['postback', 'url'])) ?? inputs.get(JSON.stringify(['postback', 'url', 0]));
      global.value = answer.template;
      global.dispatchEvent(new Event('input'));
      status.ok(`The ${presetName.value} template is in the global template field: save to keep it.`);
    } catch (error) {
      status.error(`Preset: ${error.message}`);
    }
  });

  const save = changeButton(
    'Save account',
    async () => {
      const next = withTemplates(
        account,
        [...inputs].map(([path, input]) => [JSON.parse(path), input.value.trim()]),
      );
      try {
        const answer = await api('PUT', `/v1/accounts/${encodeURIComponent(id)}`, next);
        account = answer;
        delete account.id;
        delete account.warnings;
        status.ok(`Saved.${answer.warnings?.length ? ` Warnings: ${answer.warnings.join('; ')}` : ''}`);
      } catch (error) {
        status.error(`Not saved: ${error.message}`);
      }
    },
    { class: 'primary' },
  );

  const testEvent = h('input', { name: 'test_event', value: 'conversion' });
  const testOffer = h('input', { name: 'test_offer', value: '' });
  const testResult = h('div', { class: 'test-result', 'aria-live': 'polite' });
  const fire = changeButton('Test fire', async () => {
    testResult.replaceChildren(h('p', {}, 'Sending…'));
    try {
      const answer = await api('POST', `/v1/accounts/${encodeURIComponent(id)}/test`, {
        event: testEvent.value.trim() || undefined,
        offer_id: testOffer.value.trim() || undefined,
        values: values(),
      });
      const shown = answer.results ?? [{ url: answer.url, response: answer.response }];
      testResult.replaceChildren(
        h('h3', {}, 'The tracker answered'),
        ...shown.map((r) =>
          h(
            'dl',
            { class: 'fields' },
            h('dt', {}, 'URL'),
            h('dd', {}, h('code', {}, r.url)),
            h('dt', {}, 'Status'),
            h('dd', { class: 'answer-status' }, String(r.response?.status ?? r.response?.error ?? '')),
            h('dt', {}, 'Outcome'),
            h('dd', {}, r.response?.outcome ?? ''),
            h('dt', {}, 'Latency'),
            h('dd', {}, `${Math.round(r.response?.latency_ms ?? 0)} ms`),
            h('dt', {}, 'Body'),
            h('dd', {}, h('code', { class: 'body' }, r.response?.body ?? '')),
          ),
        ),
      );
    } catch (error) {
      testResult.replaceChildren(h('p', { class: 'status error' }, `Test refused: ${error.message}`));
    }
  });

  append(
    view,
    h('p', {}, h('a', { href: '#/accounts' }, '← All accounts')),
    ...pageHeader(`Account ${id}`, 'The first template that matches a conversion wins: offer and event, offer, event, global.'),
    status.el,
    h(
      'section',
      { 'aria-labelledby': 'ex-h' },
      h('h2', { id: 'ex-h' }, 'Example conversion'),
      h('p', { class: 'hint' }, 'Every preview below renders this conversion; the test fire sends it.'),
      h(
        'div',
        { class: 'filters' },
        field('Click id', example.click_id),
        field('Payout', example.payout),
        field('Event', example.event),
        field('Offer id', example.offer_id),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'tpl-h' },
      h('h2', { id: 'tpl-h' }, 'Templates'),
      rows,
      h('div', { class: 'filters' }, field('Kind', newKind), field('Event name or offer id', newName), addButton),
      h('div', { class: 'actions' }, save),
    ),
    h(
      'section',
      { 'aria-labelledby': 'preset-h' },
      h('h2', { id: 'preset-h' }, 'Tracker presets'),
      h('div', { class: 'filters' }, field('Tracker', presetName), field('Tracker address', presetBase), usePreset),
    ),
    h(
      'section',
      { 'aria-labelledby': 'test-h' },
      h('h2', { id: 'test-h' }, 'Test fire'),
      h(
        'p',
        { class: 'hint' },
        'Sends the example conversion to the template that applies (saved templates), and shows what the tracker answered.',
      ),
      h('div', { class: 'filters' }, field('Event', testEvent), field('Offer id', testOffer), fire),
      testResult,
    ),
  );
  const templates = templatesOf(account);
  if (!templates.some(([path]) => path[0] === 'postback' && path[1] === 'url')) templates.unshift([['postback', 'url'], '']);
  const [{ presets }] = await Promise.all([
    api('GET', '/v1/templates/presets'),
    ...templates.map(([path, text]) => addRow(path, text)),
  ]);
  presetName.replaceChildren(...presets.map((p) => h('option', { value: p }, p)));
}
