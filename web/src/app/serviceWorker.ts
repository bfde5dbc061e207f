/**
 * Registers public/sw.js, which keeps the app's own files so a board reloads without the server
 * (the board itself comes from IndexedDB). Only in production builds: in `vite dev` a service
 * worker would serve stale modules.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((error) => {
      // The app works without it, only not offline across reloads.
      console.warn('Service worker not registered', error)
    })
  })
}
