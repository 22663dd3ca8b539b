// make board: appends wasm3's compiled code to the RP2040 image (board/common/code_snapshot.h).
//   snapshot.ts IN OUT   boots IN (the image as linked) in rp2040js with flash writable and a request
//                        in the first bytes after the image; the firmware compiles every function of
//                        the module into that region and says how many bytes it wrote. OUT is IN padded
//                        with erased flash (0xff) to the region's 4 KiB sector, then those bytes.
// The compiled code holds addresses of wasm3's objects in RAM, which only this image finds again at
// boot, so OUT must come from this IN; the firmware checks that (a hash of the image) at every boot.
import { readFileSync, writeFileSync } from 'node:fs';
import { Rp2040Board, codeRegionAfter } from './emulator.ts';

const REQUEST = 0x3f70636e; // code_snapshot.c's SNAPSHOT_REQUEST

const [, , input, output] = process.argv;
if (!input || !output) throw new Error('usage: snapshot.ts IN OUT');
const image = new Uint8Array(readFileSync(input));
const region = codeRegionAfter(image.length);
const requested = new Uint8Array(region + 4).fill(0xff);
requested.set(image);
new DataView(requested.buffer).setUint32(region, REQUEST, true);

const board = await Rp2040Board.start({ image: requested, flashWritable: true });
const written = /natpass: compiled code written to flash: (\d+) bytes at 0x([0-9a-f]+)/.exec(board.console);
board.stop();
if (!written) throw new Error(`the firmware did not compile into flash:\n${board.console}`);
const [bytes, at] = [Number(written[1]), parseInt(written[2], 16)];
if (at !== 0x10000000 + region) throw new Error(`the firmware wrote at 0x${at.toString(16)}, not after the image (0x${(0x10000000 + region).toString(16)})`);
const out = new Uint8Array(region + bytes).fill(0xff);
out.set(image);
out.set(board.flashBytes(region, bytes), region);
writeFileSync(output, out);
console.log(`snapshot.ts: ${output}: ${image.length} bytes of image, ${bytes} bytes of compiled code at 0x${at.toString(16)}`);
