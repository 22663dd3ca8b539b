// Board-wide limits in one place: wasm3's sizes and the host loop's batch. The module's own table
// sizes come from each port's config record (board/<port>/board-config.json).
#pragma once

#define BOARD_WASM3_STACK_BYTES   (8 * 1024)    // wasm3's value stack: 2.7 KiB used by NAT, IPsec and console (make size)
#define BOARD_BATCH_MAX           8             // frames per process() call, at most (and at most limits.batch)
#define BOARD_TICK_MS             50            // process(0, now) at least this often, for timers
#define BOARD_FRAME_MAX           1536

// wasm3 configuration (read by m3_config.h through -include of this file)
#define d_m3HasWASI                 0
#define d_m3HasFloat                0           // the module uses no floating point
#define d_m3MaxFunctionStackHeight  512         // 128 overruns real modules (measured)
#define d_m3CodePageAlignSize       1024        // 4096 wasted 5 KiB of heap in half-filled pages
#define d_m3LogOutput               0
#define d_m3VerboseErrorMessages    1
