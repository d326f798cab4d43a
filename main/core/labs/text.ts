// A lab's text: one Markdown file per language (en.md, ko.md). The part before the first `##`
// heading introduces the lab; each step's text is the `##` section whose heading ends in {#step-id}:
//
//   ## Route everything to v1 {#all-v1}
//
// Instructors edit plain Markdown; the step id ties a section to lab.yaml.
import type { Problem } from './yaml-locate.ts';

export interface StepText {
  title: string;
  body: string;
  line: number;
}

export interface LabText {
  intro: string;
  sections: Record<string, StepText>;
}

const HEADING = /^##\s+(.*?)\s*(?:\{#([^}\s]*)\})?\s*$/;

export function parseLabText(md: string, file: string): { text: LabText; problems: Problem[] } {
  const problems: Problem[] = [];
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const sections: Record<string, StepText> = {};
  const intro: string[] = [];
  let current: { id: string; title: string; line: number; body: string[] } | null = null;
  let fence: string | null = null;
  const close = () => {
    if (current) sections[current.id] = { title: current.title, line: current.line, body: current.body.join('\n').trim() };
  };
  lines.forEach((raw, i) => {
    const f = /^\s*(```+|~~~+)/.exec(raw);
    if (f) fence = fence === null ? f[1] : raw.trim().startsWith(fence) ? null : fence;
    const m = fence === null && !raw.startsWith('###') ? HEADING.exec(raw) : null;
    if (m) {
      close();
      const [, title, id] = m;
      if (!id) {
        problems.push({ file, line: i + 1, message: `section "${title}" has no step id; end the heading with {#step-id}` });
        current = null;
        return;
      }
      if (sections[id]) problems.push({ file, line: i + 1, message: `duplicate section {#${id}}` });
      current = { id, title, line: i + 1, body: [] };
      return;
    }
    if (current) current.body.push(raw);
    else intro.push(raw);
  });
  close();
  return { text: { intro: intro.join('\n').replace(/^#\s+.*\n?/, '').trim(), sections }, problems };
}
