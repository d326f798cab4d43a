// Life of a packet: pick a pod, a direction and a destination; the core walks the connection
// through the pod's iptables rules and Envoy config, and the diagram replays it hop by hop.
// Route: #/packet/<namespace>/<pod>/<direction>/<host:port> prefills the form and walks.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.tsx';
import { CoreError } from '../api/client.ts';
import { HopList } from './packet/HopList.tsx';
import { PodDiagram } from './packet/PodDiagram.tsx';
import { SidecarPanel } from './packet/SidecarPanel.tsx';
import { DIRECTIONS, type Direction, type WalkResult } from './packet/types.ts';
import './packet.css';

interface PodChoice {
  namespace: string;
  name: string;
  ip?: string;
  app?: string;
}

const DEFAULT_TO: Record<Direction, string> = {
  inbound: 'productpage:9080',
  'inbound-response': 'productpage:9080',
  outbound: 'www.google.com:443',
  'outbound-response': 'www.google.com:443',
};
const PLAY_MS = 900;

function parseRoute(route: string | undefined): { namespace?: string; pod?: string; direction?: Direction; to?: string } {
  const [namespace, pod, direction, ...rest] = (route ?? '').split('/').map((s) => decodeURIComponent(s));
  const to = rest.join('/');
  return {
    ...(namespace ? { namespace } : {}),
    ...(pod ? { pod } : {}),
    ...((DIRECTIONS as string[]).includes(direction ?? '') ? { direction: direction as Direction } : {}),
    ...(to ? { to } : {}),
  };
}

export default function PacketView({ route }: { route?: string }) {
  const { t } = useTranslation('packet');
  const api = useApi();
  const initial = useMemo(() => parseRoute(route), [route]);
  const [pods, setPods] = useState<PodChoice[]>([]);
  const [podKey, setPodKey] = useState(initial.namespace && initial.pod ? `${initial.namespace}/${initial.pod}` : '');
  const [direction, setDirection] = useState<Direction>(initial.direction ?? 'inbound');
  const [to, setTo] = useState(initial.to ?? DEFAULT_TO[initial.direction ?? 'inbound']);
  const [toEdited, setToEdited] = useState(Boolean(initial.to));
  const [path, setPath] = useState('/productpage');
  const [result, setResult] = useState<WalkResult | null>(null);
  const [step, setStep] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);

  const pod = useMemo(() => {
    const [namespace, name] = podKey.split('/');
    return namespace && name ? { namespace, name } : null;
  }, [podKey]);

  useEffect(() => {
    let live = true;
    api.call('packet.pods', {}).then(
      (list) => {
        if (!live) return;
        const walkable = list.filter((p) => p.injected && !p.gateway);
        setPods(walkable);
        // Bookinfo's entry point is the natural first pod to walk.
        const first = walkable.find((p) => p.app === 'productpage') ?? walkable[0];
        setPodKey((k) => k || (first ? `${first.namespace}/${first.name}` : ''));
      },
      (e: Error) => live && setError({ message: e.message, ...(e instanceof CoreError && e.fix ? { fix: e.fix } : {}) }),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const runWalk = useCallback(
    async (dir: Direction, dest: string) => {
      if (!pod) return;
      setBusy(true);
      setError(null);
      setPlaying(false);
      try {
        const r = await api.call('packet.walk', { pod, direction: dir, to: dest, ...(dir.startsWith('inbound') && path ? { path } : {}) });
        setResult(r);
        setStep(0);
        setPlaying(true);
      } catch (e) {
        setResult(null);
        setError({ message: (e as Error).message, ...(e instanceof CoreError && e.fix ? { fix: e.fix } : {}) });
      } finally {
        setBusy(false);
      }
    },
    [api, pod, path],
  );

  // A route (#/packet/<ns>/<pod>/<direction>/<to>) fills the form, also when the hash changes
  // while the view is open, and walks once its pod is selected.
  useEffect(() => {
    const r = parseRoute(route);
    if (r.namespace && r.pod) setPodKey(`${r.namespace}/${r.pod}`);
    if (r.direction) setDirection(r.direction);
    if (r.to) {
      setTo(r.to);
      setToEdited(true);
    }
  }, [route]);
  const walkedRoute = useRef<string | null>(null);
  useEffect(() => {
    const r = parseRoute(route);
    if (!r.direction || !r.to || !pod || pod.namespace !== r.namespace || pod.name !== r.pod || walkedRoute.current === route) return;
    walkedRoute.current = route ?? null;
    void runWalk(r.direction, r.to);
  }, [route, pod, runWalk]);

  useEffect(() => {
    if (!playing || !result) return;
    if (step >= result.hops.length - 1) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => setStep((s) => s + 1), PLAY_MS);
    return () => clearTimeout(timer);
  }, [playing, step, result]);

  const chooseDirection = (d: Direction) => {
    setDirection(d);
    if (!toEdited) setTo(DEFAULT_TO[d]);
  };
  const hops = result?.hops ?? [];
  const done = result !== null && step >= hops.length - 1;

  return (
    <section className="view pk-view">
      <header className="pk-head">
        <h1>{t('title')}</h1>
        <p className="muted">{t('intro')}</p>
      </header>
      <form
        className="pk-controls"
        onSubmit={(e) => {
          e.preventDefault();
          void runWalk(direction, to);
        }}
      >
        <label>
          {t('pod')}
          <select data-testid="packet-pod" value={podKey} onChange={(e) => setPodKey(e.target.value)}>
            {!pods.length && <option value={podKey}>{podKey || t('noPods')}</option>}
            {pods.map((p) => (
              <option key={`${p.namespace}/${p.name}`} value={`${p.namespace}/${p.name}`}>
                {p.namespace}/{p.name}
                {p.ip ? ` (${p.ip})` : ''}
              </option>
            ))}
          </select>
        </label>
        <div className="pk-dirs" role="radiogroup" aria-label={t('direction')}>
          {DIRECTIONS.map((d) => (
            <button key={d} type="button" role="radio" aria-checked={direction === d} data-testid={`dir-${d}`} className={direction === d ? 'pk-on' : ''} onClick={() => chooseDirection(d)}>
              {t(`dir.${d}`)}
            </button>
          ))}
        </div>
        <label>
          {t('to')}
          <input
            data-testid="packet-to"
            value={to}
            spellCheck={false}
            onChange={(e) => {
              setTo(e.target.value);
              setToEdited(true);
            }}
          />
        </label>
        {direction.startsWith('inbound') && (
          <label>
            {t('path')}
            <input data-testid="packet-path" value={path} spellCheck={false} onChange={(e) => setPath(e.target.value)} />
          </label>
        )}
        <button type="submit" data-testid="packet-walk" disabled={!pod || busy}>
          {busy ? t('walking') : t('walk')}
        </button>
      </form>
      <p className="muted pk-dir-help">{t(`dirHelp.${direction}`)}</p>

      {error && (
        <p className="pk-error" role="alert" data-testid="packet-error">
          {error.message}
          {error.fix && <span className="muted"> — {error.fix}</span>}
        </p>
      )}

      {result && (
        <div className="pk-main" data-testid="packet-result" data-direction={result.direction} data-done={done ? 'true' : 'false'}>
          <div className="pk-left">
            <PodDiagram hops={hops} step={step} podName={`${result.pod.name}${result.pod.ip ? ` ${result.pod.ip}` : ''}`} />
            <div className="pk-stepper">
              <button type="button" data-testid="step-prev" disabled={step === 0} onClick={() => (setPlaying(false), setStep((s) => Math.max(0, s - 1)))}>
                {t('prev')}
              </button>
              <button type="button" data-testid="step-play" onClick={() => (done ? (setStep(0), setPlaying(true)) : setPlaying((p) => !p))}>
                {playing ? t('pause') : done ? t('replay') : t('play')}
              </button>
              <button type="button" data-testid="step-next" disabled={done} onClick={() => (setPlaying(false), setStep((s) => Math.min(hops.length - 1, s + 1)))}>
                {t('next')}
              </button>
              <span className="muted" data-testid="step-counter">
                {t('step', { n: step + 1, total: hops.length })}
              </span>
            </div>
            {hops[step] && (
              <p className="pk-now" data-testid="step-explain">
                <strong>{t(`kind.${hops[step].kind}`)}</strong> {hops[step].explain}
              </p>
            )}
            {result.warnings.length > 0 && (
              <ul className="pk-warnings" data-testid="packet-warnings">
                {result.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            )}
            {result.gateway && <p className="muted">{t('viaGateway', { name: `${result.gateway.namespace}/${result.gateway.name}` })}</p>}
            <details className="pk-rules">
              <summary>{t('rawRules')}</summary>
              <pre>{result.iptables}</pre>
            </details>
          </div>
          <HopList hops={hops} step={step} onSelect={(i) => (setPlaying(false), setStep(i))} />
        </div>
      )}
      <SidecarPanel pod={pod} />
    </section>
  );
}
