// Stylesheets swapped without a flash: the new <link> goes in next to the old one, and the old
// one leaves only when the new one loaded or failed (vite#7973: removing first flashes).

/** @typedef {{ logicalPath: string, url?: string, oldUrl?: string }} AssetRef */

// `css/app.3f2a9c1b.css` -> `css/app.css`: the assets plugin's fingerprint is hex before the extension.
/** @param {string} pathname */
const withoutFingerprint = (pathname) => pathname.replace(/\.[0-9a-f]{4,64}(\.[A-Za-z0-9]+)$/i, '$1')

/** @param {string} url */
const pathOf = (url) => new URL(url, location.href).pathname

/** @param {string} path */
export const isStylesheet = (path) => /\.css$/i.test(path)

/** New links waiting for their sheet, by the old link they replace. */
const pending = new WeakMap()

/**
 * The page's stylesheet links for an asset: marked `data-hotreload-asset="<logical path>"`,
 * pointing at its old URL, or at the same path but another fingerprint.
 * @param {AssetRef} asset
 * @returns {HTMLLinkElement[]}
 */
export function linksFor(asset) {
  const exact = asset.oldUrl === undefined ? undefined : pathOf(asset.oldUrl)
  const loose = asset.url ?? asset.oldUrl
  const unhashed = loose === undefined ? undefined : withoutFingerprint(pathOf(loose))
  return [...document.querySelectorAll('link[rel~="stylesheet"][href]')].filter(
    /** @returns {link is HTMLLinkElement} */
    (link) => {
      if (!(link instanceof HTMLLinkElement)) return false
      if (link.dataset['hotreloadAsset'] === asset.logicalPath) return true
      const path = pathOf(link.href)
      return path === exact || (unhashed !== undefined && withoutFingerprint(path) === unhashed)
    },
  )
}

/**
 * Replaces `link` with a copy pointing at `url`. Resolves true once the new sheet loaded, false
 * when it failed (the old link is removed either way, so a stale sheet does not linger). The
 * copy drops `integrity`: the old digest would block the new sheet.
 * @param {HTMLLinkElement} link
 * @param {string} url
 * @returns {Promise<boolean>}
 */
export function swapStylesheet(link, url) {
  if (link.dataset['hotreloadPending'] !== undefined) {
    // A copy still loading from an earlier edit: point it at the newest URL instead.
    link.href = url
    return pending.get(link) ?? Promise.resolve(true)
  }
  const next = /** @type {HTMLLinkElement} */ (link.cloneNode())
  next.removeAttribute('integrity')
  next.dataset['hotreloadPending'] = ''
  next.href = url
  const done = new Promise((resolve) => {
    /** @param {boolean} loaded */
    const settle = (loaded) => {
      delete next.dataset['hotreloadPending']
      pending.delete(next)
      link.remove()
      resolve(loaded)
    }
    next.addEventListener('load', () => settle(true), { once: true })
    next.addEventListener('error', () => settle(false), { once: true })
  })
  pending.set(next, done)
  link.after(next)
  return done
}

/**
 * Whether a swap of `link` is already under way (its copy is in the page).
 * @param {HTMLLinkElement} link
 */
export function isReplaced(link) {
  const next = link.nextElementSibling
  return next instanceof HTMLLinkElement && next.dataset['hotreloadPending'] !== undefined && pending.has(next) && withoutFingerprint(pathOf(next.href)) === withoutFingerprint(pathOf(link.href))
}
