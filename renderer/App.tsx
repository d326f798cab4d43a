import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { LANGUAGES, setLanguage, type Language } from './i18n/index.ts';

// Views are split so a heavy view (diagram, terminal) loads only when opened.
const views = {
  home: lazy(() => import('./views/Home.tsx')),
  labs: lazy(() => import('./views/Labs.tsx')),
  mesh: lazy(() => import('./views/Mesh.tsx')),
  packet: lazy(() => import('./views/Packet.tsx')),
  terminal: lazy(() => import('./views/Terminal.tsx')),
};
export type ViewId = keyof typeof views;
const VIEW_IDS = Object.keys(views) as ViewId[];

/** Location is `#/<view>[/<rest>]` so views can be linked and the back button works. */
function readRoute(): { view: ViewId; rest: string } {
  const [, view = 'home', ...rest] = location.hash.replace(/^#/, '').split('/');
  return { view: (VIEW_IDS as string[]).includes(view) ? (view as ViewId) : 'home', rest: rest.join('/') };
}

type Theme = 'light' | 'dark';
function initialTheme(): Theme {
  const stored = localStorage.getItem('meshwalk.theme');
  if (stored === 'light' || stored === 'dark') return stored;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const { t, i18n } = useTranslation();
  const [route, setRoute] = useState(readRoute);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('meshwalk.theme', theme);
  }, [theme]);
  const View = views[route.view];
  return (
    <div className="app">
      <header className="top-bar">
        <span className="brand">{t('appName')}</span>
        <nav aria-label="main">
          {VIEW_IDS.map((id) => (
            <a key={id} href={`#/${id}`} aria-current={route.view === id ? 'page' : undefined} data-testid={`nav-${id}`}>
              {t(`nav.${id}`)}
            </a>
          ))}
        </nav>
        <div className="top-controls">
          <label>
            <span className="sr-only">{t('language.label')}</span>
            <select
              data-testid="language"
              value={i18n.language.startsWith('ko') ? 'ko' : 'en'}
              onChange={(e) => setLanguage(e.target.value as Language)}
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l === 'en' ? 'English' : '한국어'}
                </option>
              ))}
            </select>
          </label>
          <button data-testid="theme" aria-label={t('theme.label')} onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
            {theme === 'dark' ? t('theme.light') : t('theme.dark')}
          </button>
        </div>
      </header>
      <main className="content">
        <ErrorBoundary resetKey={route.view}>
          <Suspense fallback={<div className="view muted">…</div>}>
            <View route={route.rest} />
          </Suspense>
        </ErrorBoundary>
      </main>
      <StatusBar />
    </div>
  );
}
