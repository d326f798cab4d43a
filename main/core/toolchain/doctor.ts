// The doctor: can this machine run the labs, and if not, what exactly to do about it. Each check
// has a status, plain-words detail and, when it fails, a fix: a command, a link, or an action id
// the UI turns into a button.
import os from 'node:os';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import type { DoctorCheck, DoctorReport } from '../api/cluster.ts';
import type { ClusterSettings } from '../cluster/settings.ts';
import type { Kube } from '../cluster/kube.ts';
import { parseIstioVersionJson, parseIstioVersionText, versionMismatch } from '../cluster/istio.ts';
import { checkCompat, minikubeDefaultK8s, parseVersion, type Semver } from '../cluster/versions.ts';
import type { Toolchain } from './index.ts';
import { installHint } from './tools.ts';

/** ISTIO-FACTS §0: minikube refuses fewer than 2 CPUs or under 1800 MiB; the labs want 4 CPU / 8 GiB. */
export const MIN_CPUS = 2;
export const MIN_MEMORY_MIB = 1800;
export const REC_CPUS = 4;
export const REC_MEMORY_MIB = 8192;

export interface DoctorInputs {
  tc: Toolchain;
  settings: ClusterSettings;
  /** Client for Meshwalk's kubeconfig, or null when it has no cluster yet. */
  kube: () => Kube | null;
  /** Overridable for tests. */
  host?: { cpus: number; totalMiB: number; freeMiB: number; platform: NodeJS.Platform };
}

const TIMEOUT = 15_000;

function hostInfo(): NonNullable<DoctorInputs['host']> {
  return { cpus: os.cpus().length, totalMiB: Math.round(os.totalmem() / 2 ** 20), freeMiB: Math.round(os.freemem() / 2 ** 20), platform: process.platform };
}

function check(c: DoctorCheck): DoctorCheck {
  return c;
}

export function resourceChecks(h: NonNullable<DoctorInputs['host']>, needed: boolean): DoctorCheck[] {
  const cpu = check({
    id: 'resources.cpu',
    title: 'CPUs',
    required: needed,
    status: h.cpus < MIN_CPUS ? 'fail' : h.cpus < REC_CPUS ? 'warn' : 'ok',
    detail: `${h.cpus} CPUs; minikube needs at least ${MIN_CPUS}, the labs run best with ${REC_CPUS}`,
  });
  if (cpu.status === 'fail') cpu.fix = { text: 'This machine has too few CPUs for minikube. Use the sandbox mesh, or a classroom cluster', action: 'backend.sandbox' };
  const mem = check({
    id: 'resources.memory',
    title: 'Memory',
    required: needed,
    status: h.totalMiB < MIN_MEMORY_MIB + 512 ? 'fail' : h.totalMiB < REC_MEMORY_MIB || h.freeMiB < MIN_MEMORY_MIB ? 'warn' : 'ok',
    detail: `${(h.totalMiB / 1024).toFixed(1)} GiB total, ${(h.freeMiB / 1024).toFixed(1)} GiB free; the cluster needs at least ${MIN_MEMORY_MIB} MiB, ${REC_MEMORY_MIB / 1024} GiB recommended`,
  });
  if (mem.status === 'fail') mem.fix = { text: 'Not enough memory for a local cluster. Use the sandbox mesh, or a classroom cluster', action: 'backend.sandbox' };
  else if (mem.status === 'warn' && h.freeMiB < MIN_MEMORY_MIB) mem.fix = { text: 'Close other apps to free memory before starting the cluster' };
  return [cpu, mem];
}

async function toolVersion(tc: Toolchain, tool: string): Promise<{ path: string | null; version: Semver | null; raw: string }> {
  const where = await tc.which(tool);
  if (!where) return { path: null, version: null, raw: '' };
  const args: Record<string, string[]> = {
    minikube: ['version', '-o', 'json'],
    kubectl: ['version', '--client', '-o', 'json'],
    istioctl: ['version', '--remote=false', '-o', 'json'],
  };
  try {
    const r = await tc.run(tool, args[tool], { transcript: false, timeoutMs: TIMEOUT });
    const text = r.stdout;
    let v: Semver | null = null;
    try {
      const j = JSON.parse(text.slice(Math.max(0, text.indexOf('{'))));
      if (tool === 'minikube') v = parseVersion(j.minikubeVersion);
      else if (tool === 'kubectl') v = parseVersion(j.clientVersion?.gitVersion);
      else v = parseIstioVersionJson(text).client;
    } catch {
      v = tool === 'istioctl' ? parseIstioVersionText(text + '\n' + r.stderr) : parseVersion(text);
    }
    if (!v && tool === 'istioctl') {
      const t = await tc.run(tool, ['version', '--remote=false'], { transcript: false, timeoutMs: TIMEOUT });
      v = parseIstioVersionText(t.stdout + '\n' + t.stderr);
    }
    return { path: where, version: v, raw: text.slice(0, 200) };
  } catch {
    return { path: where, version: null, raw: '' };
  }
}

export function toolCheck(tool: string, found: { path: string | null; version: Semver | null }, required: boolean): DoctorCheck {
  if (!found.path) {
    return { id: `tool.${tool}`, title: tool, required, status: required ? 'fail' : 'warn', detail: `${tool} was not found on PATH`, fix: { text: installHint(tool), url: installUrl(tool) } };
  }
  if (!found.version) {
    return { id: `tool.${tool}`, title: tool, required, status: 'warn', detail: `${tool} found at ${found.path}, but its version could not be read`, fix: { text: `Run "${tool} version" in a terminal to see what is wrong`, command: `${tool} version` } };
  }
  return { id: `tool.${tool}`, title: tool, required, status: 'ok', detail: `${tool} ${found.version.raw} at ${found.path}`, version: found.version.raw, path: found.path };
}

function installUrl(tool: string): string | undefined {
  return { minikube: 'https://minikube.sigs.k8s.io/docs/start/', kubectl: 'https://kubernetes.io/docs/tasks/tools/', istioctl: 'https://istio.io/latest/docs/setup/getting-started/#download', docker: 'https://docs.docker.com/get-docker/' }[tool];
}

/** Docker or Podman reachable (`info` succeeds), or a VM driver present for this OS. */
async function driverCheck(tc: Toolchain, settings: ClusterSettings, platform: NodeJS.Platform): Promise<DoctorCheck> {
  const base = { id: 'driver', title: 'Container or VM driver', required: true } as const;
  const tried: string[] = [];
  const candidates = settings.driver ? [settings.driver] : ['docker', 'podman'];
  for (const d of candidates) {
    if (d !== 'docker' && d !== 'podman') continue;
    const where = await tc.which(d);
    if (!where) {
      tried.push(`${d}: not installed`);
      continue;
    }
    const r = await tc.run(d, ['info', '--format', d === 'docker' ? '{{.ServerVersion}}' : '{{.Version.Version}}'], { transcript: false, timeoutMs: TIMEOUT }).catch(() => null);
    const ver = r?.stdout.trim();
    if (r && r.exitCode === 0 && ver) return { ...base, status: 'ok', detail: `${d} ${ver} is running (${where})` };
    const why = (r?.stderr || r?.stdout || '').trim().split('\n').pop() ?? '';
    tried.push(`${d}: installed but not running${why ? ` (${why.slice(0, 160)})` : ''}${r?.timedOut ? ' (no answer)' : ''}`);
  }
  // VM drivers minikube supports per OS; presence on PATH is the best cheap signal.
  const vm: Record<string, string[]> = { darwin: ['vfkit', 'qemu-system-aarch64', 'qemu-system-x86_64', 'hyperkit'], linux: ['virsh', 'qemu-system-x86_64'], win32: ['VBoxManage'] };
  if (!settings.driver || !['docker', 'podman'].includes(settings.driver)) {
    for (const bin of vm[platform] ?? []) {
      const where = await tc.which(bin);
      if (where) return { ...base, status: 'ok', detail: `${bin} found at ${where} (VM driver)${tried.length ? `; ${tried.join('; ')}` : ''}` };
    }
  }
  const dockerInstalled = tried.some((t) => t.startsWith('docker: installed'));
  const podmanInstalled = tried.some((t) => t.startsWith('podman: installed'));
  return {
    ...base,
    status: 'fail',
    detail: tried.length ? tried.join('; ') : 'no driver found',
    fix: dockerInstalled
      ? { text: platform === 'linux' ? 'Start the Docker daemon: sudo systemctl start docker (and add yourself to the docker group)' : 'Start Docker Desktop and wait until it says it is running', command: platform === 'linux' ? 'sudo systemctl start docker' : undefined }
      : podmanInstalled
        ? { text: 'Start Podman: podman machine start', command: 'podman machine start' }
        : { text: installHint('docker'), url: installUrl('docker') },
  };
}

async function byoChecks(kube: Kube, settings: ClusterSettings): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const istiod = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace: 'istio-system' }).catch(() => null);
  out.push(
    istiod
      ? { id: 'istio.present', title: 'Istio on the cluster', required: false, status: 'ok', detail: 'istiod is installed in istio-system' }
      : { id: 'istio.present', title: 'Istio on the cluster', required: false, status: 'warn', detail: 'Istio is not installed on this cluster yet', fix: { text: 'Install Istio (demo profile)', action: 'istio.install', command: 'istioctl install --set profile=demo -y' } },
  );
  const authz = kube.kc.makeApiClient(AuthorizationV1Api);
  const needs: { verb: string; group: string; resource: string; namespace?: string; why: string; onlyIfNoIstio?: boolean }[] = [
    { verb: 'create', group: '', resource: 'namespaces', why: 'create lab namespaces' },
    { verb: 'create', group: 'apps', resource: 'deployments', namespace: settings.labNamespace, why: 'deploy Bookinfo' },
    { verb: 'create', group: 'networking.istio.io', resource: 'virtualservices', namespace: settings.labNamespace, why: 'apply lab routing rules' },
    { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', why: 'install Istio', onlyIfNoIstio: true },
  ];
  const missing: string[] = [];
  for (const n of needs) {
    if (n.onlyIfNoIstio && istiod) continue;
    try {
      const r = await authz.createSelfSubjectAccessReview({
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: n.verb, group: n.group, resource: n.resource, namespace: n.namespace } } },
      });
      if (!r.status?.allowed) missing.push(`${n.verb} ${n.resource}${n.namespace ? ` in ${n.namespace}` : ''} (to ${n.why})`);
    } catch {
      missing.push(`${n.verb} ${n.resource} (could not be checked)`);
    }
  }
  out.push(
    missing.length
      ? { id: 'cluster.permissions', title: 'Permissions', required: true, status: 'fail', detail: `Your account on this cluster may not: ${missing.join('; ')}`, fix: { text: 'Ask the cluster admin for these permissions, or use Meshwalk\'s own minikube cluster' } }
      : { id: 'cluster.permissions', title: 'Permissions', required: true, status: 'ok', detail: 'Your account may create namespaces, deployments and Istio resources' },
  );
  return out;
}

export async function runDoctor(inp: DoctorInputs): Promise<DoctorReport> {
  const h = inp.host ?? hostInfo();
  const byo = inp.settings.mode === 'context';
  const checks: DoctorCheck[] = [];

  const [minikube, kubectl, istioctl, driver] = await Promise.all([
    byo ? Promise.resolve(null) : toolVersion(inp.tc, 'minikube'),
    toolVersion(inp.tc, 'kubectl'),
    toolVersion(inp.tc, 'istioctl'),
    byo ? Promise.resolve(null) : driverCheck(inp.tc, inp.settings, h.platform),
  ]);
  if (!byo) checks.push(...resourceChecks(h, true));
  if (driver) checks.push(driver);
  if (minikube) checks.push(toolCheck('minikube', minikube, true));
  checks.push(toolCheck('kubectl', kubectl, true), toolCheck('istioctl', istioctl, true));

  // The cluster itself.
  let serverVersion: Semver | null = null;
  let kube: Kube | null = null;
  try {
    kube = inp.kube();
  } catch {
    kube = null;
  }
  if (!kube) {
    checks.push({
      id: 'cluster.reachable',
      title: 'Lab cluster',
      required: byo,
      status: byo ? 'fail' : 'skip',
      detail: byo ? `the context "${inp.settings.context ?? ''}" is not set up in Meshwalk's kubeconfig` : `the minikube profile "${inp.settings.profile}" has not been started yet`,
      fix: byo ? { text: 'Pick your context again on the Home page', action: 'cluster.useContext' } : { text: 'Start the lab cluster', action: 'cluster.start', command: `minikube start --profile ${inp.settings.profile}` },
    });
  } else {
    try {
      const v = await withTimeout(kube.version(), TIMEOUT);
      serverVersion = parseVersion(v.gitVersion);
      checks.push({ id: 'cluster.reachable', title: 'Lab cluster', required: byo, status: 'ok', detail: `${kube.contextName} at ${kube.server} runs Kubernetes ${v.gitVersion}`, version: v.gitVersion });
    } catch (err) {
      checks.push({
        id: 'cluster.reachable',
        title: 'Lab cluster',
        required: byo,
        status: byo ? 'fail' : 'warn',
        detail: (err as Error).message,
        fix: byo ? { text: 'Check that the cluster is running and your credentials are valid (kubectl cluster-info)', command: 'kubectl cluster-info' } : { text: 'Start the lab cluster', action: 'cluster.start', command: `minikube start --profile ${inp.settings.profile}` },
      });
    }
  }

  // istioctl ↔ Kubernetes: against the running cluster, or the version minikube would start.
  if (istioctl.version) {
    const target = serverVersion ?? (minikube?.version ? minikubeDefaultK8s(minikube.version) : null);
    if (target) {
      const c = checkCompat(istioctl.version, target);
      checks.push({
        id: 'compat.istio-k8s',
        title: 'Istio ↔ Kubernetes versions',
        required: false,
        status: c.ok ? 'ok' : serverVersion ? 'fail' : 'warn',
        detail: serverVersion ? c.detail : `${c.detail.replace('the cluster runs', 'minikube starts')}${c.ok ? '' : '; Meshwalk will ask minikube for a supported version'}`,
        ...(c.ok ? {} : { fix: serverVersion ? { text: 'Use an istioctl release that supports this Kubernetes version (https://istio.io/latest/docs/releases/supported-releases/)', url: 'https://istio.io/latest/docs/releases/supported-releases/' } : undefined }),
      });
    }
  }

  if (kube && serverVersion) {
    if (byo) checks.push(...(await byoChecks(kube, inp.settings)));
    if (istioctl.version) {
      const r = await inp.tc.run('istioctl', ['version', '-o', 'json'], { transcript: false, timeoutMs: TIMEOUT }).catch(() => null);
      if (r && r.exitCode === 0) {
        try {
          const mismatch = versionMismatch(parseIstioVersionJson(r.stdout));
          if (mismatch) checks.push({ id: 'compat.istioctl-controlplane', title: 'istioctl ↔ control plane', required: false, status: 'warn', detail: mismatch, fix: { text: 'Install the istioctl that matches the control plane, or reinstall Istio with this istioctl', url: 'https://istio.io/latest/docs/setup/upgrade/' } });
        } catch {
          /* not JSON: an istioctl too old for -o json; nothing to compare */
        }
      }
    }
  }

  return {
    ok: !checks.some((c) => c.required && c.status === 'fail'),
    mode: byo ? 'context' : 'minikube',
    platform: `${h.platform}-${process.arch}`,
    checks,
    ranAt: Date.now(),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms).unref())]);
}
