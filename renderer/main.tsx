import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n/index.ts';
import './styles.css';
import { App } from './App.tsx';
import { ApiContext } from './api/context.tsx';
import { createApiClient } from './api/client.ts';

// In web mode the first load carries ?token=; the server has traded it for a cookie, so drop it
// from the address bar and history.
if (location.search.includes('token=')) history.replaceState(null, '', location.pathname + location.hash);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={createApiClient()}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
