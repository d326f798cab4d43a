// Tool discovery: which binary would run for `minikube`, `kubectl`, `istioctl`, … given an
// environment's PATH, and how to install it when it is missing.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export const TOOLS = ['minikube', 'kubectl', 'istioctl', 'docker', 'podman'] as const;
export type ToolName = (typeof TOOLS)[number];

const HINTS: Record<string, string> = {
  minikube: 'Install minikube: https://minikube.sigs.k8s.io/docs/start/ (macOS: brew install minikube; Windows: winget install Kubernetes.minikube)',
  kubectl: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/ (macOS: brew install kubectl; or use "minikube kubectl --")',
  istioctl:
    'Install istioctl: curl -L https://istio.io/downloadIstio | sh - and add istio-<version>/bin to PATH (macOS: brew install istioctl), or set MESHWALK_ISTIO_DIR to the unpacked Istio release folder',
  docker: 'Install and start Docker Desktop (macOS/Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/',
  podman: 'Install Podman and run "podman machine start" (macOS/Windows): https://podman.io/docs/installation',
};

export function installHint(tool: string): string {
  return HINTS[tool] ?? `Install ${tool} and make sure it is on PATH`;
}

function executable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform === 'win32') return true;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the first executable named `name` on env.PATH, or null. */
export function findTool(name: string, env: NodeJS.ProcessEnv): string | null {
  const pathVar = env.PATH ?? env.Path ?? '';
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (executable(candidate)) return candidate;
      if (ext && executable(path.join(dir, name + ext))) return path.join(dir, name + ext);
    }
  }
  return null;
}
