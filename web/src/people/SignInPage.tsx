import type { Me } from './peopleApi.ts'
import { loginHref, providerDisplayName } from './peopleRules.ts'

/** Props of {@link SignInPage}. */
export interface SignInPageProps {
  me: Me
  /** The page is a board (the text says so). */
  forBoard: boolean
}

/**
 * Sign-in mode's page for someone not signed in: one button to the identity provider, named after it, which brings
 * them back to this very address (a board, a link, the boards page) once they signed in.
 */
export function SignInPage({ me, forBoard }: SignInPageProps) {
  const provider = providerDisplayName(me.provider)
  const here = window.location.pathname + window.location.search + window.location.hash
  return (
    <main className="scrawl-people-page" data-testid="sign-in-page">
      <div className="scrawl-people-page__card">
        <div className="scrawl-people-page__brand">Scrawl</div>
        <h1>Sign in</h1>
        <p>{forBoard ? 'Sign in to open this board.' : 'Sign in to see your boards.'}</p>
        <a className="scrawl-people-page__primary" href={loginHref(me.loginUrl, here)} data-testid="sign-in-button">
          Sign in with {provider}
        </a>
        <p className="scrawl-people-page__hint">Your organisation's account signs you in; Scrawl keeps no password.</p>
      </div>
    </main>
  )
}
