// V8 tuning for the capture pipeline, applied once per process by the core (and by the capture
// bench, so that it measures what the app runs).
//
// Correlation holds each request's lines until the request settles: most of them outlive one
// scavenge and die soon after. V8's allocation-site pretenuring reads that as "long-lived" and
// starts allocating those objects straight into old space, where everything they point to is kept
// until the next full GC. Which way V8 decides varies from process to process; when it pretenured
// (pending lines were parsed entries then), `npm run bench capture` dropped from ~450k to ~130k
// lines per CPU-second. Turning it off costs the rest of the core nothing measurable (it
// allocates little that lives long).
import v8 from 'node:v8';

let applied = false;

export function tuneHeapForCapture(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
