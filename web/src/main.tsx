import { createRoot } from 'react-dom/client'
import { App } from './app/App.tsx'
import { ensureUserName } from './app/defaultUserName.ts'
import './app/styles.css'

ensureUserName()
createRoot(document.getElementById('root')!).render(<App />)
