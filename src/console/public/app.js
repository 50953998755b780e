import { loadSession, onSignedOut, signIn, signOut, currentSession } from './api.js';
import { field, h, statusLine } from './dom.js';
import * as overview from './pages/overview.js';
import * as conversions from './pages/conversions.js';
import * as failed from './pages/failed.js';
import * as rejections from './pages/rejections.js';
import * as accounts from './pages/accounts.js';
import * as sources from './pages/sources.js';
import * as hosts from './pages/hosts.js';
import * as changes from './pages/changes.js';

// Hash routes (`#/conversions/ID?click_id=…`): one HTML page, no server
// routing, and the back button works.
const PAGES = { overview, conversions, failed, rejections, accounts, sources, hosts, changes };

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let rendering = 0;
let firstRender = true;

function showSignIn() {
  // After signing in, focus goes to the first page's heading (the form it was on is gone).
  firstRender = false;
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in · Postback relay console';
  const token = h('input', { name: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const status = statusLine();
  const form = h(
    'form',
    { method: 'post', action: '/console/session', class: 'sign-in' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Use the relay’s ADMIN_TOKEN to work, or its VIEWER_TOKEN to look.'),
    field('Admin or viewer token', token),
    h('button', { type: 'submit' }, 'Sign in'),
    status.el,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await signIn(token.value);
      token.value = '';
      await route();
    } catch (error) {
      status.error(error.message);
      token.focus();
    }
  });
  main.replaceChildren(form);
  token.focus();
}

async function route() {
  if (!currentSession()) return showSignIn();
  nav.hidden = false;
  who.hidden = false;
  document.getElementById('who-kind').textContent =
    currentSession().kind === 'admin' ? 'Signed in: admin' : 'Signed in: viewer (read-only)';
  const hash = location.hash.startsWith('#/') ? location.hash.slice(2) : 'overview';
  const [path, search = ''] = hash.split('?');
  const [name, ...rest] = path.split('/');
  const page = PAGES[name] ?? overview;
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${name in PAGES ? name : 'overview'}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const mine = ++rendering;
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  main.setAttribute('aria-busy', 'true');
  try {
    await page.render(view, { params: rest.map(decodeURIComponent), query: new URLSearchParams(search) });
  } catch (error) {
    if (mine === rendering && currentSession())
      view.append(h('p', { class: 'status error', role: 'alert' }, `Could not load this page: ${error.message}`));
  }
  if (mine !== rendering) return;
  main.removeAttribute('aria-busy');
  const heading = view.querySelector('h1');
  document.title = `${heading?.textContent ?? 'Console'} · Postback relay console`;
  // Focus moves to the new page's heading, so a screen reader hears where it is.
  if (!firstRender) heading?.focus();
  firstRender = false;
}

onSignedOut(() => showSignIn());
document.getElementById('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/')) route();
});
await loadSession();
await route();
