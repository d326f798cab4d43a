// highlight.js with only the grammars lab text uses (keeps the bundle small).
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diff from 'highlight.js/lib/languages/diff';
import yaml from 'highlight.js/lib/languages/yaml';

hljs.registerLanguage('bash', bash);
hljs.registerLanguage('sh', bash);
hljs.registerLanguage('shell', bash);
hljs.registerLanguage('yaml', yaml);
hljs.registerLanguage('diff', diff);

/** Highlighted HTML (escaped by highlight.js); unknown languages are escaped as plain text. */
export function highlight(code: string, lang: string): string {
  if (hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  return code.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
