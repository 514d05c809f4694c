// Toasts and the error panel, in a shadow root so the page's styles and ours never mix. Small
// and in a corner, not a full-screen overlay that flashes while an editor autosaves
// (vite#13220); the layer lets every click through to the page except on its close button.

const STYLE = `
:host { all: initial; }
.layer { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; display: flex; flex-direction: column; align-items: flex-end; gap: 8px;
  max-width: min(560px, calc(100vw - 32px)); pointer-events: none; font: 13px/1.4 system-ui, sans-serif; }
.toast { pointer-events: none; padding: 8px 12px; border-radius: 6px; color: #fff; background: #1f7a3d; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
.toast.info { background: #444; }
.toast.error { background: #8b1a1a; padding: 10px 12px; }
.toast.error .title { font-weight: 600; margin-right: 24px; }
.toast.error ul { margin: 6px 0 0; padding: 0 0 0 18px; font: 12px/1.5 ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
.toast.error button { pointer-events: auto; position: absolute; top: 4px; right: 6px; border: 0; background: transparent; color: inherit; font-size: 18px; cursor: pointer; }
.toast.error { position: relative; }
.hidden { display: none; }
`

/**
 * @typedef {object} Ui
 * @property {(text: string) => void} success a short success toast; replaces the previous one
 * @property {(text: string | null) => void} info the connection notice (null hides it)
 * @property {(title: string, lines: string[]) => void} error the one sticky error, replaced by the next
 * @property {() => void} clearError
 */

/** @returns {Ui} */
export function createUi() {
  const host = document.createElement('hotreload-ui')
  host.setAttribute('aria-live', 'polite')
  const root = host.attachShadow({ mode: 'open' })
  root.innerHTML = `<style>${STYLE}</style><div class="layer"></div>`
  const layer = /** @type {HTMLDivElement} */ (root.querySelector('.layer'))
  const mount = () => {
    if (!host.isConnected) document.documentElement.append(host)
  }

  /** @param {string} kind */
  const slot = (kind) => {
    const el = document.createElement('div')
    el.className = `toast ${kind} hidden`
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status')
    layer.append(el)
    return el
  }
  const errorEl = slot('error')
  const infoEl = slot('info')
  const successEl = slot('success')
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let successTimer

  const clearError = () => {
    errorEl.classList.add('hidden')
    errorEl.replaceChildren()
  }
  /** @param {KeyboardEvent} event */
  const onKey = (event) => {
    if (event.key === 'Escape') clearError()
  }
  document.addEventListener('keydown', onKey)

  return {
    success(text) {
      mount()
      successEl.textContent = text
      successEl.classList.remove('hidden')
      clearTimeout(successTimer)
      successTimer = setTimeout(() => successEl.classList.add('hidden'), 3_000)
    },
    info(text) {
      mount()
      infoEl.textContent = text ?? ''
      infoEl.classList.toggle('hidden', text === null)
    },
    error(title, lines) {
      mount()
      const heading = document.createElement('div')
      heading.className = 'title'
      heading.textContent = title
      const list = document.createElement('ul')
      for (const line of lines) {
        const item = document.createElement('li')
        item.textContent = line
        list.append(item)
      }
      const close = document.createElement('button')
      close.type = 'button'
      close.setAttribute('aria-label', 'Close')
      close.textContent = '×'
      close.addEventListener('click', clearError)
      errorEl.replaceChildren(heading, list, close)
      errorEl.classList.remove('hidden')
      // A success toast under a fresh error would say the opposite of it.
      successEl.classList.add('hidden')
    },
    clearError,
  }
}
