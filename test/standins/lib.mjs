// Shared body of the stand-in minikube / istioctl / kubectl / docker executables. They replay
// recorded outputs from test/fixtures/cluster. The behaviour is chosen per tool by an env var:
// STANDIN_MINIKUBE, STANDIN_ISTIOCTL, STANDIN_KUBECTL, STANDIN_DOCKER (default "success").
// STANDIN_PIDFILE: long-running modes append "<pid>\n" of themselves and of the grandchild they spawn.
import { appendFileSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'fixtures', 'cluster');
const fixture = (name) => readFileSync(path.join(fixtures, name), 'utf8');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const err = (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');

function recordPid(pid) {
  if (process.env.STANDIN_PIDFILE) appendFileSync(process.env.STANDIN_PIDFILE, `${pid}\n`);
}

/** A grandchild in the same process group, so tests can check the whole tree is killed. */
function spawnGrandchild() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  recordPid(child.pid);
  return child;
}

async function hangForever() {
  recordPid(process.pid);
  spawnGrandchild();
  await new Promise(() => setInterval(() => {}, 1000));
}

async function replay(text, delayMs = 5) {
  for (const line of text.split('\n')) {
    if (!line) continue;
    out(line);
    await sleep(delayMs);
  }
}

async function minikube(args, mode) {
  const cmd = args[0];
  if (cmd === 'version') return out(fixture('minikube-version.json')), 0;
  if (cmd === 'ip') return out('192.168.49.2'), 0;
  if (cmd === 'update-context' || cmd === 'stop' || cmd === 'delete') return out(`✋  ${cmd} done for profile ${args[args.indexOf('--profile') + 1]}`), 0;
  if (cmd === 'status') {
    if (mode === 'status-missing') return out(fixture('minikube-status-not-found.txt')), 85;
    return out(fixture('minikube-status-running.json')), 0;
  }
  if (cmd === 'tunnel') {
    if (mode === 'tunnel-dies') {
      recordPid(process.pid);
      err('❌  Exiting due to TUNNEL_ALREADY_RUNNING: Another tunnel process is already running, terminate the existing instance to start a new one');
      await sleep(50);
      return 1;
    }
    await replay(fixture('minikube-tunnel-route-mode.txt'), 1);
    return hangForever();
  }
  if (cmd === 'start') {
    const steps = fixture('minikube-start-v1.25.2.jsonl').trim().split('\n');
    switch (mode) {
      case 'insufficient-cores':
        await replay(steps.slice(0, 2).join('\n'));
        out(fixture('minikube-error-insufficient-cores.json'));
        return 29;
      case 'insufficient-memory':
        await replay(steps.slice(0, 2).join('\n'));
        out(fixture('minikube-error-insufficient-memory.json'));
        return 23;
      case 'driver-missing':
        await replay(steps.slice(0, 1).join('\n'));
        out(fixture('minikube-error-docker-not-running.json'));
        return 69;
      case 'hang':
        await replay(steps.slice(0, 4).join('\n'));
        return hangForever();
      case 'crash':
        await replay(steps.slice(0, 3).join('\n'));
        // Half a line, then die the way a crashed Go binary does.
        process.stdout.write(steps[3].slice(0, 40));
        await sleep(20);
        process.kill(process.pid, 'SIGKILL');
        return 0;
      default:
        await replay(steps.join('\n'));
        return 0;
    }
  }
  err(`minikube stand-in: unsupported "${args.join(' ')}"`);
  return 64;
}

async function istioctl(args, mode) {
  if (args[0] === 'version') {
    if (args.includes('--remote=false')) return out(fixture('istioctl-version-client.json')), 0;
    // mesh-current: istiod and the proxies run the client's release too.
    if (mode === 'mesh-current') return out(fixture('istioctl-version-json.kyma-test.json').replaceAll('1.11.1', '1.30.3')), 0;
    return out(fixture('istioctl-version-json.kyma-test.json').replace('"version": "1.11.1",\n\t\t  "revision": "ce62', '"version": "1.30.3",\n\t\t  "revision": "ce62')), 0;
  }
  if (args[0] === 'proxy-config' && args[1] === 'all') {
    out(JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: `sidecar~10.244.0.9~${args[2]}.${args[args.indexOf('-n') + 1]}~default.svc.cluster.local` } } }] }));
    return 0;
  }
  if (args[0] === 'install') {
    if (mode === 'hang') {
      out('✔ Istio core installed ⛵️');
      return hangForever();
    }
    if (mode === 'image-pull') {
      await replay(fixture('istioctl-install-stalled.txt'));
      err('Error: failed to install manifests: errors occurred during operation');
      return 1;
    }
    await replay(fixture('istioctl-install-demo-current.txt'));
    return 0;
  }
  err(`istioctl stand-in: unsupported "${args.join(' ')}"`);
  return 64;
}

async function kubectl(args, mode) {
  if (args[0] === 'version') return out(fixture('kubectl-version-client.json')), 0;
  if (args[0] === 'logs' && args.includes('istio-init')) return out(fixture('default-sidecar.iptables-restore.txt')), 0;
  if (args[0] === 'exec') {
    // kubectl exec -n NS POD -c C -- curl …: answer like curl would, with the -w trailer.
    const curl = args.slice(args.indexOf('--') + 1);
    const w = curl.indexOf('-w');
    if (w < 0) return 0; // the login call (-c jar) prints nothing
    const url = curl.at(-1);
    const body = /\/productpage/.test(url) ? `<html><head>${fixture('productpage-title.txt').trim()}</head><body><div class="flex gap-x-1 text-black-500"><svg></svg></div></body></html>` : 'ok';
    process.stdout.write(body + curl[w + 1].replace('\n', '\n').replace('%{http_code}', '200').replace('%{time_total}', '0.012345'));
    return 0;
  }
  if (mode === 'stream') {
    // Alternating stdout/stderr lines, for ordering tests.
    for (let i = 1; i <= 5; i++) {
      out(`out ${i}`);
      await sleep(40);
      err(`err ${i}`);
      await sleep(40);
    }
    return 3;
  }
  err(`kubectl stand-in: unsupported "${args.join(' ')}"`);
  return 64;
}

async function docker(args, mode) {
  if (args[0] === 'info') {
    if (mode === 'down') return err('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'), 1;
    return out('27.3.1'), 0;
  }
  return 64;
}

export async function main(tool) {
  const mode = process.env[`STANDIN_${tool.toUpperCase()}`] ?? 'success';
  const args = process.argv.slice(2);
  const run = { minikube, istioctl, kubectl, docker }[tool];
  const code = await run(args, mode);
  process.exitCode = code;
}
