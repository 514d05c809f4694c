/** Log sink; the CLI prints these, library users may pass their own. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** The default for library use: plugins' messages go nowhere unless a logger is passed. */
export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} })
