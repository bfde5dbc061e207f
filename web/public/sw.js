// Scrawl's service worker: lets a board that was open once reload without the server.
// The board's data comes from IndexedDB (y-indexeddb); this only keeps the app itself at hand.
// - pages (/, /b/:room, /embed/:room): network first, so a new build is picked up at once; the last
//   good index.html when the network fails;
// - /assets/*: content-hashed and immutable, so cache first;
// - everything else (/api, /sync, uploaded images): straight to the network.
const CACHE = 'scrawl-app-v1'
const SHELL = '/index.html'

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().finally(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (request.mode === 'navigate' && /^\/((b|embed)\/[A-Za-z0-9_-]{1,64}\/?)?$/.test(url.pathname)) {
    event.respondWith(pageFromNetworkOrShell(request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(fromCacheOrNetwork(request))
  }
})

/** index.html and the scripts and styles it names, so the first offline reload has them all. */
async function cacheShell() {
  const cache = await caches.open(CACHE)
  const response = await fetch(SHELL, { cache: 'no-store' })
  if (!response.ok) return
  const html = await response.clone().text()
  await cache.put(SHELL, response)
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1])
  await cache.addAll(assets)
}

async function pageFromNetworkOrShell(request) {
  try {
    const response = await fetch(request)
    if (response.ok) {
      const cache = await caches.open(CACHE)
      await cache.put(SHELL, response.clone())
    }
    return response
  } catch (error) {
    const shell = await caches.match(SHELL)
    if (shell) return shell
    throw error
  }
}

async function fromCacheOrNetwork(request) {
  const cached = await caches.match(request)
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) {
    const cache = await caches.open(CACHE)
    await cache.put(request, response.clone())
  }
  return response
}
