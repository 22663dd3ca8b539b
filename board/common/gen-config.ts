// Writes the board's default config record: the embedded default (host/config.ts) with the board's
// smaller tables (board-config.json), encoded exactly as the Node host encodes it. Also writes
// OUTPUT.bytes: the linear memory the module uses with that config (its memoryUsed() after init in V8,
// rounded up to 1 KiB), so the firmware can allocate wasm3's memory once at that size instead of
// growing it table by table (newlib's realloc copies, and each copy leaves a hole in a heap that has no
// room to spare) or in whole 64 KiB pages.
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeConfig, parseConfig } from '../../host/config.ts';
import { Router } from '../../host/router.ts';

const [, , input, output] = process.argv;
const json = JSON.parse(readFileSync(input, 'utf8'));
writeFileSync(output, encodeConfig(parseConfig(json)));
const router = await Router.create(json, { engine: 'v8', nowMs: 0 });
const used = router.engine.call('memoryUsed') >>> 0;
writeFileSync(`${output}.bytes`, `${Math.ceil(used / 1024) * 1024}\n`);
