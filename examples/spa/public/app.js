// The page's whole use of keyturn. Settings come from the query string:
// ?keyturn=<URL> (default http://127.0.0.1:3000) &mode=body|cookie
// &storage=memory|session|local (body mode) &margin=<seconds before expiry to refresh>
import { createAuthClient } from '@keyturn/browser'

const params = new URLSearchParams(location.search)
const settings = {
  baseUrl: params.get('keyturn') ?? 'http://127.0.0.1:3000',
  mode: params.get('mode') ?? 'body',
  storage: params.get('storage') ?? 'memory',
  ...(params.has('margin') ? { refreshMargin: Number(params.get('margin')) } : {}),
}
const auth = createAuthClient(settings)
// For the console (and the browser tests): `await auth.me()`, `authEvents`.
window.auth = auth
window.authEvents = []

const $ = (selector) => document.querySelector(selector)
$('#config').textContent = `keyturn ${settings.baseUrl} · ${settings.mode} mode${settings.mode === 'body' ? ` · refresh token in ${settings.storage}` : ''}`

function log(text, { error = false } = {}) {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`
  if (error) item.className = 'error'
  $('#log').prepend(item)
}

function showStatus() {
  $('#status').textContent = auth.signedIn ? `Signed in${auth.user ? ` as ${auth.user.username}` : ''}` : 'Signed out'
}

auth.onChange((event) => {
  window.authEvents.push(event)
  const detail = event.type === 'signed-out' ? ` (${event.reason}${event.error ? `: ${event.error.code}` : ''})` : ''
  log(`${event.type}${detail}, ${event.source === 'other-tab' ? 'by another tab' : 'in this tab'}`)
  showStatus()
})

/** Runs a button's action, logging what comes back or the error's code. */
async function run(label, action) {
  try {
    const result = await action()
    log(`${label}: ${result ?? 'ok'}`)
  } catch (error) {
    log(`${label} failed: ${error.code ?? error.name} ${error.message}`, { error: true })
  } finally {
    showStatus()
  }
}

$('#credentials').addEventListener('submit', (event) => {
  event.preventDefault()
  const form = new FormData(event.target)
  const username = form.get('username')
  const password = form.get('password')
  if (event.submitter?.value === 'register') {
    const email = form.get('email')
    void run('register', async () => (await auth.register({ username, password, ...(email ? { email } : {}) })).username)
  } else {
    void run('login', async () => (await auth.login({ username, password })).username)
  }
})
$('#me').addEventListener('click', () => void run('me', async () => JSON.stringify(await auth.me())))
$('#refresh').addEventListener('click', () => void run('refresh', () => auth.refresh()))
$('#logout').addEventListener('click', () => void run('logout', () => auth.logout($('#scope').value)))

await auth.ready()
showStatus()
log(auth.signedIn ? 'session restored' : 'ready, signed out')
document.body.dataset.ready = 'true'
