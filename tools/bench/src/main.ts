/**
 * `npm run bench -- <scenario> [...]`: runs partita and its baseline side by
 * side and writes `tools/bench/results/<scenario>.json`.
 * Each scenario is `scenarios/<name>.ts` exporting `run(args): Promise<void>`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <scenario>\nscenarios: ${available.join(', ')}`);
  process.exit(name ? 1 : 0);
}
const mod = (await import(pathToFileURL(join(dir, `${name}.js`)).href)) as { run(args: string[]): Promise<void> };
await mod.run(args);
process.exit(0);
