// The browser client a page includes with one tag:
//   <script type="module" src="/__hotreload/client.js"></script>
// It connects, shows a toast per applied change and one sticky error per failure, swaps
// stylesheets in place, reloads for templates the page was rendered from, and brings a page that
// was disconnected up to date, reloading at most once per server state (never a loop).
import { connect } from './connect.js'
import { isReplaced, isStylesheet, linksFor, swapStylesheet } from './css.js'
import { createUi } from './ui.js'

const here = new URL(import.meta.url)
const script = /** @type {HTMLScriptElement | null} */ (document.querySelector('script[data-hotreload-prefix]'))
const prefix = script?.dataset['hotreloadPrefix'] ?? here.pathname.replace(/\/client\.js$/, '')
const pageRun = script?.dataset['hotreloadRun']
const pageVersion = Number(script?.dataset['hotreloadVersion'])
const pageTemplates = script?.dataset['hotreloadTemplates']?.split(',').filter(Boolean)
const RELOADED_KEY = 'hotreload:reloaded'

const ui = createUi()
/** @type {string | undefined} */
let templatesDigest
let reloadOnTemplates = true
let lostShown = false

/**
 * Reloads the page, unless it already reloaded for this same server state: then it says so
 * instead, so a page that cannot get up to date never reloads in a loop.
 * @param {{ runId: string, version: number }} target
 * @param {string} why
 */
function reloadOnce(target, why) {
  const key = `${target.runId}:${target.version}`
  if (sessionStorage.getItem(RELOADED_KEY) === key) {
    ui.error('This page may be out of date', [`${why}; reload the page to see the change.`])
    return
  }
  sessionStorage.setItem(RELOADED_KEY, key)
  location.reload()
}

/** @param {{ file?: string, line?: number, column?: number, message: string, hint?: string, keyPath?: string }} p */
function problemLine(p) {
  const where = p.file === undefined ? '' : `${p.file}${p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`} `
  return `${where}${p.message}${p.keyPath === undefined || p.message.includes(p.keyPath) ? '' : ` [${p.keyPath}]`}${p.hint === undefined ? '' : ` (${p.hint})`}`
}

/** @param {{ kind: string, path: string, from?: string }[]} changes */
function changeList(changes) {
  const names = changes.map((c) => (c.from === undefined ? c.path : `${c.from} → ${c.path}`))
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')
}

/**
 * Applies asset updates to the page: swaps stylesheets, reloads when a stylesheet has no link
 * (or failed to load) or when a script or image the page uses changed.
 * @param {any[]} assets
 * @param {{ runId: string, version: number }} target
 * @param {{ catchUp?: boolean }} [how] catching up from `hello`: every current asset is listed,
 *   so a stylesheet this page does not link is simply not this page's
 */
function applyAssets(assets, target, how = {}) {
  for (const asset of assets) {
    if (isStylesheet(asset.logicalPath)) {
      const links = linksFor(asset).filter((link) => !isReplaced(link))
      if (links.length === 0 && how.catchUp) continue
      if (links.length === 0) return reloadOnce(target, `the stylesheet ${asset.logicalPath} is not linked from this page`)
      for (const link of links) {
        if (asset.url === undefined) link.remove()
        else if (link.href !== new URL(asset.url, location.href).href || link.dataset['hotreloadPending'] !== undefined) {
          void swapStylesheet(link, asset.url).then((loaded) => {
            if (!loaded) reloadOnce(target, `the stylesheet ${asset.url} did not load`)
          })
        }
      }
    } else if (asset.oldUrl !== undefined) {
      const old = new URL(asset.oldUrl, location.href).href
      const used = [...document.querySelectorAll('[src]')].some((el) => /** @type {HTMLImageElement} */ (el).src === old)
      if (used) return reloadOnce(target, `${asset.logicalPath} changed`)
    }
  }
}

/** @param {{ names: string[], removed: string[] }} event */
const affectsPage = (event) => pageTemplates === undefined || [...event.names, ...event.removed].some((name) => pageTemplates.includes(name))

/** @param {any} message */
function showFailure(message) {
  if (message.status === 'rejected' || message.type === 'rejected') {
    const n = message.problems.length
    ui.error(`✗ ${changeList(message.changes)} rejected (${n} problem${n === 1 ? '' : 's'}), still serving v${message.version}`, message.problems.map(problemLine))
  } else if (message.error ?? message.abort) {
    const error = message.error ?? message.abort
    const title = message.type === 'error' ? '✗ error' : message.status === 'aborted' || message.type === 'aborted' ? '✗ aborted' : '↺ rolled back'
    ui.error(`${title}${message.changes ? ` ${changeList(message.changes)}` : ''}, still serving v${message.version}`, [problemLine({ ...error, file: error.file })])
  }
}

/**
 * @param {any} message
 * @param {import('./connect.js').HelloInfo} [info]
 */
function onEvent(message, info) {
  const target = { runId: message.runId, version: message.version }
  switch (message.type) {
    case 'hello': {
      reloadOnTemplates = message.settings.reloadOnTemplates
      const previousDigest = templatesDigest
      templatesDigest = message.templates
      if (info?.stale) {
        // Templates changed while away (or between the render and this first hello): only a
        // reload shows them. Everything else catches up in place.
        const templatesMoved = previousDigest === undefined ? info.first : previousDigest !== message.templates
        if (reloadOnTemplates && templatesMoved) return reloadOnce(target, 'templates changed while the page was disconnected')
        applyAssets(
          message.assets.filter((/** @type {{ logicalPath: string }} */ a) => isStylesheet(a.logicalPath)),
          target,
          { catchUp: true },
        )
      }
      if (message.last && message.last.status !== 'applied' && message.last.status !== 'unchanged') showFailure(message.last)
      else ui.clearError()
      document.documentElement.dataset['hotreloadSynced'] = `${message.runId}:${message.version}`
      if (lostShown) ui.info(null)
      lostShown = false
      if (info?.stale && !info.first) ui.success(`up to date with v${message.version}`)
      return
    }
    case 'applied': {
      ui.clearError()
      const templates = message.events.filter((/** @type {{ type: string }} */ e) => e.type === 'template:updated')
      if (reloadOnTemplates && templates.some(affectsPage)) return reloadOnce(target, 'a template of this page changed')
      applyAssets(
        message.events.filter((/** @type {{ type: string }} */ e) => e.type === 'asset:updated'),
        target,
      )
      document.documentElement.dataset['hotreloadSynced'] = `${message.runId}:${message.version}`
      ui.success(`✓ ${changeList(message.changes)} applied in ${Math.round(message.durationMs)} ms (v${message.version})`)
      return
    }
    case 'unchanged':
      ui.clearError()
      return
    case 'resolved':
      // The broken files are back to what is applied: nothing is rejected any more.
      ui.clearError()
      ui.success(`✓ ${message.paths.join(', ')} back to v${message.version}`)
      return
    default:
      showFailure(message)
  }
}

connect({
  prefix,
  origin: here.origin,
  ...(pageRun !== undefined && Number.isInteger(pageVersion) ? { page: { runId: pageRun, version: pageVersion } } : {}),
  onEvent,
  onState(state) {
    if (state === 'lost') {
      lostShown = true
      ui.info(templatesDigest === undefined ? 'cannot reach the hotreload server; retrying…' : 'connection to the server lost; reconnecting…')
    }
  },
})
