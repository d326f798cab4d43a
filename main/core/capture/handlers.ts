// API handlers for the capture domain (contract: main/core/api/capture.ts).
import type { captureMethods } from '../api/capture.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { AccessLogParseError, parseAccessLog } from './parser.ts';
import { CaptureService } from './service.ts';

const INGRESS_HOST = 'istio-ingressgateway.istio-system';

export function captureHandlers(ctx: CoreContext): Handlers<keyof typeof captureMethods & string> {
  const service = new CaptureService(ctx.events, ctx.backends);
  ctx.onDispose(() => service.dispose());
  return {
    async 'capture.snapshot'() {
      await service.ensure();
      return service.snapshot();
    },
    async 'capture.pause'({ paused }) {
      await service.ensure();
      return { paused: service.setPaused(paused) };
    },
    async 'capture.replay'({ minutes, limit }) {
      await service.ensure();
      return { trees: service.replay(minutes, limit) };
    },
    async 'capture.diagnostics'() {
      await service.ensure();
      return service.diagnostics();
    },
    async 'capture.parseLines'({ lines }) {
      const entries = lines.map((line) => {
        try {
          return parseAccessLog(line);
        } catch (e) {
          if (e instanceof AccessLogParseError) return null;
          throw e;
        }
      });
      return { entries };
    },
    async 'capture.clear'() {
      service.clear();
      return { ok: true as const };
    },
    async 'capture.sendTraffic'({ count, user, path, qps }, call) {
      await service.ensure();
      const backend = await ctx.backends.current();
      // A full URL addressed to the ingress gateway's Service: both backends accept it (a bare path
      // would be read as a host name by URL parsing).
      const url = `http://${INGRESS_HOST}${path ?? '/productpage'}`;
      const result = await backend.sendTraffic(
        { from: 'ingressgateway', method: 'GET', url, headers: {}, ...(user ? { user } : {}), count, concurrency: 1, qps: qps ?? 0 },
        call.signal,
      );
      const statuses: Record<string, number> = {};
      for (const r of result.responses) {
        statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
        if (user) service.noteUser(r.requestId, user);
      }
      return { sent: result.responses.length, statuses, requestIds: result.responses.map((r) => r.requestId) };
    },
    async 'capture.flowTail'({ service: svc, statusClass, user, color, limit }) {
      await service.ensure();
      const filter = { ...(svc ? { service: svc } : {}), ...(statusClass !== undefined ? { statusClass } : {}), ...(user ? { user } : {}) };
      return { lines: service.flowTail(filter, color ?? false, limit) };
    },
  };
}
