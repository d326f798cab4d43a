import { OutputChannel } from '../../main/core/terminal/output-channel.ts';
const proto = OutputChannel.prototype as any;
const orig = proto.setPaused;
let pausedAt = 0, pausedTotal = 0, pauses = 0;
proto.setPaused = function (p: boolean) { if (p) { pausedAt = Date.now(); pauses++; } else pausedTotal += Date.now() - pausedAt; return orig.call(this, p); };
process.on('exit', () => console.log('pauses', pauses, 'paused ms', pausedTotal));
await import('./t5.mts');
