import { TemplateEngineLoadError, TemplateEngineMissingError } from '../errors.js'

/**
 * Imports an optional peer dependency. Engines are imported when the plugin is applied, not
 * when this package is, so an app that uses only Eta never needs Handlebars installed.
 * A package that is not installed becomes a `TemplateEngineMissingError` carrying the install
 * command; one that is installed but throws while loading becomes a `TemplateEngineLoadError`.
 */
export async function loadPeer<T>(packageName: string, engine: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer()
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new TemplateEngineMissingError(packageName, engine, error)
    throw new TemplateEngineLoadError(packageName, error)
  }
}

function isMissingPackage(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as NodeJS.ErrnoException).code
  // Only a failure to find *this* package counts: a missing dependency of the engine itself is a broken install.
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && error.message.includes(`'${packageName}'`)
}
