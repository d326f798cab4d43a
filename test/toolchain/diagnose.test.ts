// Stalls explained from recorded-shape pod and event JSON.
import { describe, expect, it } from 'vitest';
import { explainPods, isPodReady, summarize, type EventJson, type PodJson } from '../../main/core/cluster/diagnose.ts';
import { fixture } from './helpers.ts';

const pods = (JSON.parse(fixture('pods-stalled.json')) as { items: PodJson[] }).items;
const events = (JSON.parse(fixture('events-stalled.json')) as { items: EventJson[] }).items;

describe('diagnose', () => {
  it('uses conditions[Ready], not container counts (native sidecar pod is ready)', () => {
    expect(pods.map(isPodReady)).toEqual([false, false, false, true]);
  });

  it('explains each stalled pod in plain words, most serious first', () => {
    const f = explainPods(pods, events);
    expect(f.map((x) => [x.pod, x.kind])).toEqual([
      ['reviews-v3-7dbcdcbc56-m8dph', 'insufficient-resources'],
      ['ratings-v1-7dc98c7588-vzftc', 'image-pull'],
      ['details-v1-558b8b4b76-2llld', 'crash-loop'],
    ]);
    expect(f[0].words).toBe('reviews-v3-7dbcdcbc56-m8dph is waiting: the cluster does not have enough free CPU to run it.');
    expect(f[0].fix).toMatch(/--cpus=4 --memory=8192/);
    expect(f[1].words).toMatch(/cannot download its image registry\.istio\.io\/release\/examples-bookinfo-ratings-v1:1\.20\.3\. The network may be slow or blocked \(classroom wifi/);
    expect(f[2].words).toBe('details-v1-558b8b4b76-2llld: container details keeps crashing (restarted 4 times, last exit OOMKilled code 137).');
    expect(f[2].fix).toMatch(/--previous — it ran out of memory/);
    expect(summarize(f, 2)).toMatch(/\(1 more pods are not ready\)$/);
  });

  it('recognises a missing image tag and a pod still pulling', () => {
    const pod: PodJson = {
      metadata: { name: 'x', namespace: 'default' },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'c', image: 'nope:9', state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: manifest unknown' } } }] },
    };
    expect(explainPods([pod], [])[0].words).toBe('x cannot start: the image nope:9 does not exist in the registry (check the name and tag).');
    const pulling: PodJson = { metadata: { name: 'y' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }] } };
    expect(explainPods([pulling], [{ reason: 'Pulling', message: 'Pulling image "a:1"', involvedObject: { name: 'y' } }])[0].words).toBe('y is still downloading an image (Pulling image "a:1").');
  });
});

describe('ingress', () => {
  it('explains an unreachable ingress with or without the tunnel', async () => {
    const { explainIngressUnreachable } = await import('../../main/core/cluster/diagnose.ts');
    const err = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(explainIngressUnreachable('http://127.0.0.1:80', err, false)).toEqual({
      words: 'The ingress gateway at http://127.0.0.1:80 does not answer (ECONNREFUSED).',
      fix: expect.stringMatching(/^Start the tunnel \(minikube tunnel --profile meshwalk/),
    });
    expect(explainIngressUnreachable('http://127.0.0.1:80', err, true).fix).toMatch(/Gateway and VirtualService are applied/);
  });
});
