// When an install or rollout stalls, say why in plain words — from the pods' status and events —
// instead of a spinner that eventually times out. Pure functions over API JSON, so they are tested
// against recorded pod and event objects.

/** The parts of a Pod we read (API JSON). */
export interface PodJson {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { initContainers?: { name: string; restartPolicy?: string }[]; containers?: { name: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
  };
}

export interface ContainerStatusJson {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string; exitCode?: number; message?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

export interface EventJson {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

export type StallKind = 'insufficient-resources' | 'image-pull' | 'crash-loop' | 'unschedulable' | 'init' | 'not-ready' | 'creating';

export interface Finding {
  pod: string;
  namespace: string;
  kind: StallKind;
  /** One sentence a learner understands. */
  words: string;
  fix?: string;
}

/** A pod is ready when conditions[Ready] is True (ISTIO-FACTS §5.5); never count containers. */
export function isPodReady(pod: PodJson): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function eventsFor(pod: PodJson, events: EventJson[]): EventJson[] {
  return events.filter((e) => e.involvedObject?.name === pod.metadata.name && (!e.involvedObject?.kind || e.involvedObject.kind === 'Pod'));
}

function allStatuses(pod: PodJson): ContainerStatusJson[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** Explain one pod that is not Ready, or null when it is Ready. */
export function explainPod(pod: PodJson, events: EventJson[]): Finding | null {
  if (isPodReady(pod)) return null;
  const name = pod.metadata.name;
  const namespace = pod.metadata.namespace ?? 'default';
  const base = { pod: name, namespace };
  const evs = eventsFor(pod, events);

  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' || (pod.status?.phase === 'Pending' && evs.some((e) => e.reason === 'FailedScheduling'))) {
    const msg = [scheduled?.message, ...evs.filter((e) => e.reason === 'FailedScheduling').map((e) => e.message)].filter(Boolean).join(' ');
    const cpu = /Insufficient cpu/i.test(msg);
    const mem = /Insufficient memory/i.test(msg);
    if (cpu || mem) {
      const what = cpu && mem ? 'CPU and memory' : cpu ? 'CPU' : 'memory';
      return {
        ...base,
        kind: 'insufficient-resources',
        words: `${name} is waiting: the cluster does not have enough free ${what} to run it.`,
        fix: 'Give the cluster more resources (minikube delete, then start with --cpus=4 --memory=8192), or remove the addons you are not using',
      };
    }
    return { ...base, kind: 'unschedulable', words: `${name} cannot be placed on a node: ${msg || 'the scheduler gave no reason yet'}.` };
  }

  for (const cs of allStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (!waiting?.reason) continue;
    if (waiting.reason === 'ImagePullBackOff' || waiting.reason === 'ErrImagePull' || waiting.reason === 'InvalidImageName') {
      const pullEvent = [...evs].reverse().find((e) => e.reason === 'Failed' && /pull/i.test(e.message ?? ''));
      const detail = waiting.message || pullEvent?.message || '';
      const notFound = /not found|manifest unknown|does not exist/i.test(detail);
      return {
        ...base,
        kind: 'image-pull',
        words: notFound
          ? `${name} cannot start: the image ${cs.image ?? ''} does not exist in the registry (check the name and tag).`
          : `${name} cannot download its image ${cs.image ?? ''}. The network may be slow or blocked (classroom wifi, proxy)${detail ? ` — ${firstLine(detail)}` : ''}.`,
        fix: notFound ? 'Fix the image name or tag in the manifest' : 'Check the internet connection, then wait: Kubernetes retries the download by itself. On a slow network, pull the images before class (minikube image load …)',
      };
    }
    if (waiting.reason === 'CrashLoopBackOff') {
      const last = cs.lastState?.terminated;
      return {
        ...base,
        kind: 'crash-loop',
        words: `${name}: container ${cs.name} keeps crashing (restarted ${cs.restartCount ?? 0} times${last ? `, last exit ${last.reason ?? ''} code ${last.exitCode ?? '?'}` : ''}).`,
        fix: `Read its logs: kubectl logs ${name} -n ${namespace} -c ${cs.name} --previous${last?.reason === 'OOMKilled' ? ' — it ran out of memory; give the cluster more memory' : ''}`,
      };
    }
    if (waiting.reason === 'CreateContainerConfigError' || waiting.reason === 'CreateContainerError') {
      return { ...base, kind: 'init', words: `${name}: container ${cs.name} cannot be created: ${firstLine(waiting.message ?? waiting.reason)}.` };
    }
  }

  const initStuck = (pod.status?.initContainerStatuses ?? []).find((s) => s.state?.waiting || (s.state?.terminated && s.state.terminated.exitCode !== 0));
  if (initStuck?.state?.terminated) {
    return { ...base, kind: 'init', words: `${name}: init container ${initStuck.name} failed (${initStuck.state.terminated.reason ?? 'exit ' + initStuck.state.terminated.exitCode}).` };
  }
  const creating = allStatuses(pod).find((s) => s.state?.waiting?.reason === 'ContainerCreating' || s.state?.waiting?.reason === 'PodInitializing');
  if (creating || pod.status?.phase === 'Pending') {
    const pulling = [...evs].reverse().find((e) => e.reason === 'Pulling');
    return {
      ...base,
      kind: 'creating',
      words: pulling ? `${name} is still downloading an image (${firstLine(pulling.message ?? '')}).` : `${name} is still starting.`,
    };
  }
  const notReady = allStatuses(pod).filter((s) => s.ready === false).map((s) => s.name);
  const unhealthy = [...evs].reverse().find((e) => e.reason === 'Unhealthy');
  return {
    ...base,
    kind: 'not-ready',
    words: `${name} is running but not ready${notReady.length ? ` (${notReady.join(', ')})` : ''}${unhealthy ? `: ${firstLine(unhealthy.message ?? '')}` : ''}.`,
  };
}

/** Explain every pod that is not Ready, most serious first. */
export function explainPods(pods: PodJson[], events: EventJson[]): Finding[] {
  const order: StallKind[] = ['insufficient-resources', 'image-pull', 'crash-loop', 'unschedulable', 'init', 'not-ready', 'creating'];
  return pods
    .map((p) => explainPod(p, events))
    .filter((f): f is Finding => f !== null)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** One paragraph for a WaitResult.reason or an error message. */
export function summarize(findings: Finding[], max = 3): string {
  if (!findings.length) return '';
  const lines = findings.slice(0, max).map((f) => f.words);
  if (findings.length > max) lines.push(`(${findings.length - max} more pods are not ready)`);
  return lines.join(' ');
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}

/** Plain words for an ingress URL that does not answer. */
export function explainIngressUnreachable(url: string, err: unknown, tunnelRunning: boolean): { words: string; fix: string } {
  const code = (err as { cause?: { code?: string }; code?: string })?.cause?.code ?? (err as { code?: string })?.code ?? '';
  const words = `The ingress gateway at ${url} does not answer${code ? ` (${code})` : ''}.`;
  const fix = tunnelRunning
    ? 'The tunnel is running; check that the Gateway and VirtualService are applied (kubectl get gateway,virtualservice) and that istio-ingressgateway is Ready'
    : 'Start the tunnel (minikube tunnel --profile meshwalk, or the "Start tunnel" button), or use the node port shown by kubectl -n istio-system get svc istio-ingressgateway';
  return { words, fix };
}
