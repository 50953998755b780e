import { canChange } from './api.js';
import { h } from './dom.js';

/**
 * A button that changes something. For the viewer it is disabled and says
 * why; the server refuses the change anyway.
 */
export function changeButton(label, onclick, attrs = {}) {
  const allowed = canChange();
  const button = h(
    'button',
    { type: 'button', ...attrs, disabled: !allowed || attrs.disabled, onclick: allowed ? guard(onclick) : undefined },
    label,
  );
  if (!allowed) button.title = 'Read-only: signed in with the viewer token';
  return button;
}

/** Disables a button while its action runs, so a double click does not send twice. */
function guard(onclick) {
  return async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await onclick(event);
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  };
}

/** A page's heading and the note a viewer sees. */
export function pageHeader(title, intro) {
  return [
    h('h1', { tabindex: '-1' }, title),
    intro ? h('p', { class: 'intro' }, intro) : undefined,
    canChange()
      ? undefined
      : h('p', { class: 'note' }, 'You are signed in with the viewer token: you can look at everything, and change nothing.'),
  ].filter(Boolean);
}
