// Writes the board's default config record: the embedded default (host/config.ts) with the board's
// smaller tables (board-config.json), encoded exactly as the Node host encodes it.
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeConfig, parseConfig } from '../../host/config.ts';

const [, , input, output] = process.argv;
writeFileSync(output, encodeConfig(parseConfig(JSON.parse(readFileSync(input, 'utf8')))));
