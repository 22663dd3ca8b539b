// Writes the board's default config record: the embedded default (host/config.ts) with the board's
// smaller tables (board-config.json), encoded exactly as the Node host encodes it. Also writes
// OUTPUT.pages: the linear memory (64 KiB pages) the module needs for that config, measured by running
// it in V8, so the firmware can size wasm3's memory once instead of growing it table by table
// (newlib's realloc copies, and each copy leaves a hole in a heap that has no room to spare).
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeConfig, parseConfig } from '../../host/config.ts';
import { Router } from '../../host/router.ts';

const [, , input, output] = process.argv;
const json = JSON.parse(readFileSync(input, 'utf8'));
writeFileSync(output, encodeConfig(parseConfig(json)));
const router = await Router.create(json, { engine: 'v8', nowMs: 0 });
writeFileSync(`${output}.pages`, `${router.engine.memory().byteLength >>> 16}\n`);
