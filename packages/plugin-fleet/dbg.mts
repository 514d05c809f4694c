import { Redis } from 'ioredis'
const r = new Redis({ path: process.argv[2], protocol: 2, maxRetriesPerRequest: null })
r.on('error', (e) => console.log('err', e.message))
await r.ping()
const p = r.call('XREAD', 'COUNT', '10', 'BLOCK', '3000', 'STREAMS', 's', '$').then((v) => console.log('resolved', v), (e) => console.log('rejected', e.message))
setTimeout(() => { console.log('disconnect'); r.disconnect() }, 100)
await p
console.log('done')
