// Istio on the lab cluster: `istioctl install --set profile=demo -y` with its progress lines turned
// into steps, control-plane readiness, injection label, addons, uninstall, and the istioctl ↔
// control-plane version check.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.ts';
import type { Toolchain } from '../toolchain/index.ts';
import { parseManifestText } from '../manifests.ts';
import type { Kube } from './kube.ts';
import { parseVersion, type Semver } from './versions.ts';

export type InstallLine =
  | { kind: 'installed'; component: string }
  | { kind: 'complete' }
  | { kind: 'waiting'; components: string[]; resources: string[] }
  | { kind: 'error'; component: string; message: string }
  | { kind: 'other'; text: string };

/** The components the demo profile installs, in the order istioctl reports them. */
export const DEMO_COMPONENTS = ['Istio core', 'Istiod', 'Egress gateways', 'Ingress gateways'];

/** Parse one line of `istioctl install` output (TTY spinners are absent on a pipe: one update per line). */
export function parseInstallLine(raw: string): InstallLine {
  const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
  let m = /^✔\s+Installation complete/.exec(line);
  if (m) return { kind: 'complete' };
  m = /^✔\s+(.+?)\s+installed\b/.exec(line);
  if (m) return { kind: 'installed', component: m[1] };
  m = /^✘\s+(.+?)\s+encountered an error:\s*(.*)$/.exec(line);
  if (m) return { kind: 'error', component: m[1], message: m[2] };
  m = /^-\s+Processing resources for\s+(.+?)\.(?:\s+Waiting for\s+(.+))?$/.exec(line);
  if (m) return { kind: 'waiting', components: m[1].split(/,\s*/), resources: m[2] ? m[2].split(/,\s*/).map((s) => s.trim()).filter(Boolean) : [] };
  return { kind: 'other', text: line };
}

export interface IstioVersions {
  client: Semver | null;
  /** Control plane (istiod) versions; empty when Istio is not installed. */
  controlPlane: string[];
  dataPlane: string[];
}

/** Parse `istioctl version -o json` (remote or not). */
export function parseIstioVersionJson(text: string): IstioVersions {
  const start = text.indexOf('{');
  const data = JSON.parse(start >= 0 ? text.slice(start) : text) as {
    clientVersion?: { version?: string };
    meshVersion?: { Component?: string; Info?: { version?: string } }[];
    dataPlaneVersion?: { IstioVersion?: string }[];
  };
  return {
    client: parseVersion(data.clientVersion?.version),
    controlPlane: [...new Set((data.meshVersion ?? []).map((m) => m.Info?.version).filter((v): v is string => !!v))],
    dataPlane: [...new Set((data.dataPlaneVersion ?? []).map((d) => d.IstioVersion).filter((v): v is string => !!v))],
  };
}

/** Parse the text form: `client version: 1.30.3` (also older `version.BuildInfo{Version:"1.x"}` output). */
export function parseIstioVersionText(text: string): Semver | null {
  const m = /client version:\s*(\S+)/i.exec(text) ?? /Version:"([^"]+)"/.exec(text) ?? /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(text);
  return parseVersion(m?.[1]);
}

/** A mismatch between istioctl and the control plane, in plain words (null when they agree). */
export function versionMismatch(v: IstioVersions): string | null {
  if (!v.client || !v.controlPlane.length) return null;
  const other = v.controlPlane.map((c) => parseVersion(c)).filter((c): c is Semver => !!c && (c.major !== v.client!.major || c.minor !== v.client!.minor));
  if (!other.length) return null;
  return `istioctl is ${v.client.raw} but the control plane runs ${other.map((o) => o.raw).join(', ')}. Commands like proxy-config and analyze may misread the mesh; use the istioctl that matches the control plane (istio-${other[0].raw}/bin/istioctl)`;
}

export interface InstallProgress {
  step: number;
  total: number;
  name: string;
  message: string;
}

export class Istio {
  constructor(
    private readonly tc: Toolchain,
    private readonly kube: () => Kube,
  ) {}

  async clientVersion(): Promise<Semver | null> {
    const r = await this.tc.run('istioctl', ['version', '--remote=false', '-o', 'json'], { transcript: false, timeoutMs: 15_000 });
    if (r.exitCode === 0) {
      try {
        return parseIstioVersionJson(r.stdout).client;
      } catch {
        /* older istioctl without -o json: fall through to text */
      }
    }
    const t = await this.tc.run('istioctl', ['version', '--remote=false'], { transcript: false, timeoutMs: 15_000 });
    return parseIstioVersionText(t.stdout + '\n' + t.stderr);
  }

  async versions(): Promise<IstioVersions> {
    const r = await this.tc.run('istioctl', ['version', '-o', 'json'], { transcript: false, timeoutMs: 30_000 });
    try {
      return parseIstioVersionJson(r.stdout);
    } catch {
      return { client: parseIstioVersionText(r.stdout + '\n' + r.stderr), controlPlane: [], dataPlane: [] };
    }
  }

  /** `istioctl install --set profile=demo -y`, reporting each component as a step. */
  async install(opts: { signal?: AbortSignal; onProgress?: (p: InstallProgress) => void; timeoutMs?: number } = {}): Promise<void> {
    const total = DEMO_COMPONENTS.length + 1;
    const done = new Set<string>();
    let failure: Extract<InstallLine, { kind: 'error' }> | null = null;
    let waitingFor: string[] = [];
    const report = (name: string, message: string) => opts.onProgress?.({ step: Math.min(done.size, total), total, name, message });
    report('Install Istio', 'istioctl install --set profile=demo -y');
    const r = await this.tc.run('istioctl', ['install', '--set', 'profile=demo', '-y'], {
      purpose: 'Install Istio (demo profile)',
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? 12 * 60_000,
      onLine: (_s, raw) => {
        const l = parseInstallLine(raw);
        if (l.kind === 'installed') {
          done.add(l.component);
          report(l.component, `${l.component} installed`);
        } else if (l.kind === 'complete') {
          done.add('complete');
          report('Installation complete', 'Installation complete');
        } else if (l.kind === 'waiting') {
          waitingFor = l.resources;
          report(l.components.join(', '), `Waiting for ${l.resources.join(', ') || l.components.join(', ')}`);
        } else if (l.kind === 'error') failure ??= l;
      },
    });
    if (r.cancelled) throw new ApiError('cancelled', 'istioctl install was cancelled');
    if (r.exitCode === 0 && !r.timedOut) return;
    // Stalled or failed: say why from istio-system's pods rather than istioctl's generic timeout.
    const why = await Promise.resolve()
      .then(() => this.kube().explainNamespace('istio-system'))
      .catch(() => '');
    const f = failure as Extract<InstallLine, { kind: 'error' }> | null;
    const head = r.timedOut ? 'istioctl install did not finish in time' : f ? `istioctl install failed at ${f.component}: ${f.message}` : `istioctl install exited with code ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`;
    throw new ApiError('failed', why ? `${head}. ${why}` : `${head}${waitingFor.length ? ` (still waiting for ${waitingFor.join(', ')})` : ''}`, why ? undefined : 'Run "kubectl get pods -n istio-system" and "kubectl get events -n istio-system" to see what is stuck', { waitingFor });
  }

  async verifyControlPlane(signal?: AbortSignal): Promise<void> {
    const res = await this.kube().waitFor({ kind: 'deploymentAvailable', namespace: 'istio-system', name: 'istiod', timeoutMs: 5 * 60_000 }, signal);
    if (!res.ok) throw new ApiError('failed', `istiod is not ready: ${res.reason}`);
  }

  /** `kubectl label namespace <ns> istio-injection=enabled`, done through the API (server-side apply). */
  async enableInjection(namespace: string): Promise<void> {
    const doc = parseManifestText(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${JSON.stringify(namespace)}\n  labels:\n    istio-injection: enabled\n`, `namespace ${namespace}`);
    await this.kube().apply(doc);
  }

  /** Addons (prometheus, grafana, kiali, jaeger) from the Istio release folder's samples/addons. */
  async installAddons(releaseDir: string | undefined, names: string[], signal?: AbortSignal): Promise<void> {
    const dir = releaseDir ? path.join(releaseDir, 'samples', 'addons') : '';
    if (!dir || !existsSync(dir)) {
      throw new ApiError('unavailable', 'the Istio addons need the Istio release folder (samples/addons)', 'Download Istio (curl -L https://istio.io/downloadIstio | sh -) and set MESHWALK_ISTIO_DIR to its folder');
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && names.some((n) => f.startsWith(n)));
    for (const f of files) {
      const file = path.join(dir, f);
      await this.kube().apply(parseManifestText(readFileSync(file, 'utf8'), file), { signal });
    }
    for (const n of names) {
      const res = await this.kube().waitFor({ kind: 'deploymentAvailable', namespace: 'istio-system', name: n, timeoutMs: 5 * 60_000 }, signal);
      if (!res.ok) throw new ApiError('failed', `${n} is not ready: ${res.reason}`);
    }
  }

  async uninstall(signal?: AbortSignal): Promise<void> {
    await this.tc.runChecked('istioctl', ['uninstall', '-y', '--purge'], { purpose: 'Uninstall Istio', signal, timeoutMs: 10 * 60_000 });
    await this.tc.run('kubectl', ['delete', 'namespace', 'istio-system', '--ignore-not-found'], { purpose: 'Remove the istio-system namespace', signal, timeoutMs: 5 * 60_000 });
  }
}
