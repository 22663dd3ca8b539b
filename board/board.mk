# Board firmware: the same module under wasm3 in C, for QEMU mps2-an385 (Cortex-M3, LAN9118).
# wasm3's sources come from host/host.mk's wasm3-src (PyPI's pywasm3 sdist, pinned).

APT_PACKAGES += gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
BOARD_OUT := build/board
CROSS := arm-none-eabi-
BOARD_COMMON := board/common/host_loop.c board/common/console.c board/common/board_console.c board/common/config_store.c board/common/syscalls.c board/common/stack.c
WASM3_C = $(filter-out %/m3_info.c,$(wildcard build/wasm3/source/m3_*.c))
BOARD_CFLAGS := -Os -g -ffunction-sections -fdata-sections -Wall -Wno-unused-function -Wno-unused-variable -Wno-strict-aliasing \
  -Iboard/common -Ibuild/wasm3/source -include board/common/board_config.h
BOARD_LDFLAGS := -Wl,--gc-sections -specs=nano.specs -specs=nosys.specs -nostartfiles

.PHONY: board board-qemu size

$(BOARD_OUT)/default-config.bin: board/common/board-config.json board/common/gen-config.ts host/config.ts $(NPM_STAMP)
	@mkdir -p $(BOARD_OUT)
	node --import tsx board/common/gen-config.ts $< $@

$(BOARD_OUT)/qemu-mps2-an385.elf: $(WASM) $(WASM3_SRC) $(BOARD_OUT)/default-config.bin $(BOARD_COMMON) board/common/*.h board/common/module.S board/qemu-mps2-an385/board.c board/qemu-mps2-an385/link.ld
	@command -v $(CROSS)gcc >/dev/null || $(MAKE) apt
	$(CROSS)gcc -mcpu=cortex-m3 -mthumb $(BOARD_CFLAGS) \
	  -DNATPASS_WASM_PATH='"$(WASM)"' -DNATPASS_CONFIG_PATH='"$(BOARD_OUT)/default-config.bin"' -DNATPASS_MEMORY_PAGES=$$(cat $(BOARD_OUT)/default-config.bin.pages) \
	  -Tboard/qemu-mps2-an385/link.ld $(BOARD_LDFLAGS) -Wl,-Map=$(BOARD_OUT)/qemu-mps2-an385.map \
	  board/qemu-mps2-an385/board.c $(BOARD_COMMON) board/common/module.S $(WASM3_C) -o $@
	$(CROSS)size $@

board-qemu: $(BOARD_OUT)/qemu-mps2-an385.elf
board: board-qemu

size: board
	node --import tsx board/qemu-mps2-an385/size.ts
BOARD_TEST_DEPS := board

# The board part of make bench: instructions per frame measured by the firmware under QEMU -icount.
.PHONY: bench-board
bench-board: board
	node --import tsx board/qemu-mps2-an385/bench.ts
bench: bench-board
