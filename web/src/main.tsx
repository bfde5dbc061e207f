import { createRoot } from 'react-dom/client'
import { App } from './app/App.tsx'
import { ensureUserName } from './app/defaultUserName.ts'
import { registerServiceWorker } from './app/serviceWorker.ts'
import './app/styles.css'

ensureUserName()
registerServiceWorker()
createRoot(document.getElementById('root')!).render(<App />)
