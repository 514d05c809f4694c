// Run: npm start --workspace examples/browser, open the printed URL, then edit
// config/workflows.yaml (the list updates in place), break it (an error toast with file:line:column),
// or edit static/css/app.css (the page restyles without a reload).
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createExampleApp } from './app.js'

const root = process.env['APP_ROOT'] ?? fileURLToPath(new URL('.', import.meta.url))
const app = await createExampleApp({ root })
const server = createServer(app.handle)
app.hot.attach(server)
server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    server.closeAllConnections()
    void app.close().then(() => process.exit(0))
  })
}
