// `npm run bench`: runs every bench/<area>.ts and prints its figures. Targets are printed beside
// the numbers; a bench never fails the build.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.includes(path.basename(f, '.ts')));

for (const file of files) {
  const name = path.basename(file, '.ts');
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { run?: () => Promise<Record<string, number | string>> };
  if (typeof mod.run !== 'function') continue;
  process.stdout.write(`\n== ${name} ==\n`);
  try {
    const figures = await mod.run();
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(48)} ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v}\n`);
  } catch (err) {
    process.stdout.write(`  failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
