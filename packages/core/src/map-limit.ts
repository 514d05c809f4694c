/**
 * Runs `fn` over `items` with at most `limit` calls in flight and resolves with the results in
 * the input order. For plugins that read or fetch many files at once without exhausting file
 * descriptors or connections. Rejects with the first error, like `Promise.all`.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
