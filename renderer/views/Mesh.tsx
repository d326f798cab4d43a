// The Mesh view: the live diagram of captured traffic, the requests beside it, and controls to
// pause, replay the last minutes, send requests, and see how the capture is doing.
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi, useEvent } from '../api/context.tsx';
import type { EventData } from '../../main/core/api/contract.ts';
import { Diagnostics } from './mesh/Diagnostics.tsx';
import { Diagram } from './mesh/Diagram.tsx';
import { RequestDetail } from './mesh/RequestDetail.tsx';
import { RequestList } from './mesh/RequestList.tsx';
import { SendTraffic } from './mesh/SendTraffic.tsx';
import { MeshStore } from './mesh/store.ts';
import './mesh.css';

export default function MeshView(_props: { route?: string }) {
  const { t } = useTranslation('mesh');
  const api = useApi();
  const store = useMemo(() => new MeshStore(), []);
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [selected, setSelected] = useState<string | null>(null);
  const [replayMinutes, setReplayMinutes] = useState(5);
  const [error, setError] = useState<string | null>(null);
  const [backend, setBackend] = useState<'sandbox' | 'cluster' | null>(null);

  useEffect(() => {
    let live = true;
    api.call('capture.snapshot', {}).then(
      (s) => {
        if (!live) return;
        store.applyRequests([...s.trees], Date.now(), false);
        store.setStats(s.stats);
        store.setDiagnostics(s.diagnostics);
        store.setPaused(s.paused);
        setBackend(s.diagnostics.backend);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
      store.stopReplay();
    };
  }, [api, store]);

  useEvent('capture.requests', useCallback((d: EventData<'capture.requests'>) => store.applyRequests(d.trees), [store]));
  useEvent('capture.stats', useCallback((d: EventData<'capture.stats'>) => store.setStats(d), [store]));
  useEvent(
    'capture.diagnostics',
    useCallback(
      (d: EventData<'capture.diagnostics'>) => {
        store.setDiagnostics(d);
        setBackend(d.backend);
      },
      [store],
    ),
  );
  useEvent(
    'capture.state',
    useCallback(
      (d: EventData<'capture.state'>) => {
        store.setPaused(d.paused);
        // A different backend is a different mesh: start the picture afresh.
        setBackend((prev) => {
          if (prev !== null && d.backend !== prev) store.clear();
          return d.backend;
        });
      },
      [store],
    ),
  );

  // The batch is on screen once React committed it: that closes the request→diagram measurement.
  useEffect(() => store.recordDrawn(), [snap.version, store]);

  // Drop finished markers while any are in flight.
  const inFlight = snap.markers.length > 0;
  useEffect(() => {
    if (!inFlight) return;
    const id = setInterval(() => store.expireMarkers(), 250);
    return () => clearInterval(id);
  }, [inFlight, store]);

  const togglePause = async () => {
    try {
      const r = await api.call('capture.pause', { paused: !snap.paused });
      store.setPaused(r.paused);
      if (!r.paused) {
        // Catch up with what was captured while the picture was held.
        const s = await api.call('capture.snapshot', {});
        store.applyRequests([...s.trees], Date.now(), false);
        store.setStats(s.stats);
      }
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const replay = async () => {
    try {
      const r = await api.call('capture.replay', { minutes: replayMinutes });
      store.replay(r.trees);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const clear = async () => {
    try {
      await api.call('capture.clear', {});
      store.clear();
      setSelected(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const selectedTree = selected ? snap.trees.find((r) => r.requestId === selected) ?? null : null;

  return (
    <section className="view mesh-view" data-testid="mesh-view">
      <header className="mesh-toolbar">
        <h1>{t('title')}</h1>
        <SendTraffic />
        <div className="mesh-controls">
          <button onClick={() => void togglePause()} data-testid="mesh-pause" aria-pressed={snap.paused}>
            {snap.paused ? t('resume') : t('pause')}
          </button>
          <label>
            <span className="sr-only">{t('replayMinutes')}</span>
            <select value={replayMinutes} onChange={(e) => setReplayMinutes(Number(e.target.value))} data-testid="mesh-replay-minutes">
              {[1, 5, 15].map((m) => (
                <option key={m} value={m}>
                  {t('minutes', { count: m })}
                </option>
              ))}
            </select>
          </label>
          <button onClick={() => void replay()} data-testid="mesh-replay">
            {t('replay')}
          </button>
          <button onClick={() => void clear()} data-testid="mesh-clear">
            {t('clear')}
          </button>
        </div>
      </header>
      {backend === 'cluster' && (
        <p className="mesh-note" data-testid="mesh-cluster-note">
          {t('clusterNote')}
        </p>
      )}
      {snap.paused && <p className="mesh-note warn-text">{t('pausedNote')}</p>}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="mesh-body">
        <div className="mesh-graph">
          <Diagram nodes={snap.nodes} edges={snap.edges} markers={snap.markers} />
        </div>
        <aside className="mesh-side-panel">
          <h2>{t('requests')}</h2>
          {selectedTree ? <RequestDetail tree={selectedTree} onClose={() => setSelected(null)} /> : null}
          <RequestList trees={snap.trees} selected={selected} onSelect={setSelected} />
        </aside>
      </div>
      <Diagnostics d={snap.diagnostics} view={snap.viewLatency} />
    </section>
  );
}
