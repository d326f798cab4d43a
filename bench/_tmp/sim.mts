import { readFileSync } from 'node:fs';
import { startApp } from '../../test/e2e/harness.ts';
const app = await startApp();
const { page } = app;
await page.evaluate(() => localStorage.setItem('meshwalk.testHooks', '1'));
await page.getByTestId('nav-terminal').click();
await page.waitForFunction(() => window.__meshwalkTerm?.active && window.__meshwalkTerm.terminals.has(window.__meshwalkTerm.active));
const id = await page.evaluate(() => window.__meshwalkTerm!.active!);
const text = readFileSync('/tmp/mwt/p.txt', 'utf8').slice(0, 4_000_000).replace(/\n/g, '\r\n');
await page.evaluate((t) => { (window as any).__t = t; }, text);
for (const mode of ['bulk', 'serial', 'json', 'bulk']) {
  const ms = await page.evaluate(`new Promise((resolve) => {
    const term = window.__meshwalkTerm.terminals.get(${JSON.stringify(id)});
    const t = window.__t; const mode = ${JSON.stringify(mode)};
    const chunk = 26000;
    const start = performance.now();
    if (mode === 'bulk') { for (let i = 0; i < t.length; i += chunk) term.write(t.slice(i, i + chunk), i + chunk >= t.length ? () => resolve(performance.now() - start) : undefined); return; }
    let i = 0;
    function next() {
      if (i >= t.length) return resolve(performance.now() - start);
      let piece = t.slice(i, i + chunk); i += chunk;
      if (mode === 'json') piece = JSON.parse(JSON.stringify({ type: 'event', data: { data: piece } })).data.data;
      term.write(piece, () => setTimeout(next, 2));
    }
    next();
  })`) as number;
  console.log(mode, (4 / (ms / 1000)).toFixed(2), 'MB/s');
}
await app.close();
