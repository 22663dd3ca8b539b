# Board firmware: the same module under wasm3 in C, for four ports (board/<port>/):
#   qemu-mps2-an385  Cortex-M3 with QEMU's LAN9118 (LAN and WAN as VLANs on its one NIC)
#   rp2040-w5500     Cortex-M0+ with two W5500 on SPI; ELF, raw image and UF2 (runs in rp2040js)
#   qemu-riscv32     RV32IMC in QEMU virt with the ESP32-C3's RAM and two virtio-net NICs
#   esp32c3-w5500    ESP32-C3 with two W5500 on SPI; ELF and esptool image (hardware only, not run here)
# wasm3's sources come from host/host.mk's wasm3-src (PyPI's pywasm3 sdist, pinned). Each port's
# default config (tables sized to its RAM) is board/<port>/board-config.json.
# Two engines (board/common/engine.h): wasm3 (the default, `make board`) and the AOT build, the module
# translated to C by Debian wabt's wasm2c (`make board-aot`: build/board/<port>-aot.elf).

APT_PACKAGES += gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
BOARD_OUT := build/board
CROSS := arm-none-eabi-
BOARD_COMMON := board/common/startup.c board/common/host_loop.c board/common/console.c board/common/board_console.c board/common/config_store.c board/common/syscalls.c board/common/stack.c
# The boards build wasm3 from a copy of its sources with these edits, all for 32-bit cores (docs/board.md
# "Board" has the figures). Each is checked after the sed that makes it, so a new wasm3 version whose
# source differs stops the build instead of building unedited code.
# - The register every op handler passes on (_r0) is 32 bits wide instead of 64. AAPCS passes a 64-bit
#   argument after three pointers on the stack, so each handler copied it in and out of memory; at 32
#   bits all four arguments travel in r0-r3. A 32-bit register cannot hold an i64, so the module must
#   use none: board/common/check-module.ts refuses one that does.
# - Loads and stores check bounds in 32-bit arithmetic: wasm3 adds address and offset in 64 bits so
#   the sum cannot wrap, which on a 32-bit core costs a carry chain and spilled registers in every
#   load and store. Here each of the two sums (address + offset, + access size) traps on carry.
# - Loads and stores reach memory through BOARD_LOAD and BOARD_STORE (board_config.h), which test the
#   wasm address's alignment alone instead of memcpy's both sides.
# - local.tee leaves the local's slot on wasm3's stack instead of the register it was copied from, as
#   local.get does, so that the next value computed does not first spill the register to a new slot.
# - The function and global sections allocate their arrays once, at the count the section gives, instead
#   of growing them by one element per entry: each realloc copied and left the old array as a hole below
#   linear memory (7 KiB of the RP2040's heap).
# - Code pages and a function's constants come from board_code_page_alloc and board_code_constants, and
#   each op_Compile emitted is noted (board_code_call_site): on the RP2040 they go to flash
#   (board/common/code_snapshot.h); elsewhere they are wasm3's own heap allocations.
BOARD_WASM3 := $(BOARD_OUT)/wasm3
BOARD_WASM3_H := $(BOARD_WASM3)/wasm3.h
WASM3_C = $(filter-out %/m3_info.c,$(wildcard build/wasm3/source/m3_*.c))
BOARD_WASM3_C = $(patsubst build/wasm3/source/%,$(BOARD_WASM3)/%,$(WASM3_C))
BOARD_CFLAGS := -Os -g -ffunction-sections -fdata-sections -Wall -Wno-unused-function -Wno-unused-variable -Wno-strict-aliasing \
  -Iboard/common -I$(BOARD_WASM3) -include board/common/board_config.h
BOARD_LDFLAGS := -Wl,--gc-sections -specs=nano.specs -specs=nosys.specs -nostartfiles
BOARD_DEPS = $(WASM) $(BOARD_WASM3_H) $(BOARD_OUT)/module-checked $(BOARD_COMMON) board/common/*.h board/common/module.S board/common/engine_wasm3.c board/common/code_snapshot.c
ENGINE_WASM3 = board/common/engine_wasm3.c board/common/code_snapshot.c $(BOARD_WASM3_C)

# The AOT engine: wasm2c's C for the module (wabt 1.0.32's runtime API), compiled through
# natpass_w2c_board.c (the board's aligned loads and stores), our runtime for it (wasm_rt_board.c: static
# linear memory, bounds checks, traps by longjmp) and engine_wasm2c.c.
BOARD_W2C := $(BOARD_OUT)/w2c/natpass_w2c.c
ENGINE_WASM2C = -I$(BOARD_OUT)/w2c -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DNDEBUG -Wno-unused-value -Wno-unused-but-set-variable \
  -DBOARD_WABT_VERSION='"'$$(wasm2c --version)'"' board/common/engine_wasm2c.c board/common/wasm_rt_board.c board/common/natpass_w2c_board.c
BOARD_AOT_DEPS = $(WASM) $(BOARD_W2C) $(BOARD_OUT)/module-checked $(BOARD_COMMON) board/common/*.h board/common/module.S board/common/engine_wasm2c.c board/common/wasm_rt_board.c board/common/natpass_w2c_board.c
$(BOARD_W2C): $(WASM)
	@command -v wasm2c >/dev/null || $(MAKE) apt
	@mkdir -p $(@D)
	wasm2c $(WASM) -n np -o $@
	cp /usr/include/wasm-rt.h $(@D)/ # the package's header: the cross compilers do not search /usr/include
	# The optimiser drops natpass.abort when no path reaches it; wasm2c's instantiate takes the import's
	# instance only when there is one.
	echo "#define NATPASS_IMPORTS_ABORT $$(grep -c 'Z_natpassZ_abort' $(@D)/natpass_w2c.h)" > $(@D)/natpass_w2c_imports.h

$(BOARD_WASM3_H): $(WASM3_SRC) board/board.mk
	rm -rf $(BOARD_WASM3) && mkdir -p $(BOARD_WASM3)
	cp build/wasm3/source/* $(BOARD_WASM3)/
	sed -i 's/^typedef i64\( *\)m3reg_t;/typedef i32\1m3reg_t;  \/\/ natpass: 32 bits (board\/board.mk)/' $(BOARD_WASM3)/m3_core.h
	sed -i -e 's/u64 operand = /u32 operand = /' \
	  -e 's/operand += offset;/u32 end; if (UNLIKELY (__builtin_add_overflow (operand, offset, \&operand))) { d_outOfBounds; } \/\* natpass \*\//' \
	  -e 's/operand + sizeof (\([A-Z_]*\)) <= _mem->length/!__builtin_add_overflow (operand, (u32) sizeof (\1), \&end) \&\& end <= _mem->length/' \
	  -e 's/memcpy(&value, src8, sizeof(value));/BOARD_LOAD (value, src8);/' \
	  -e 's/memcpy(mem8, &val, sizeof(val));/BOARD_STORE (mem8, val);/' \
	  $(BOARD_WASM3)/m3_exec.h
	sed -i '/if (i_opcode != c_waOp_teeLocal)/{n;s|$$| if (i_opcode == c_waOp_teeLocal \&\& IsStackTopInRegister (o)) { u8 teeType = GetStackTopType (o); _ (Pop (o)); _ (Push (o, teeType, localSlot)); } /* natpass: tee */|}' \
	  $(BOARD_WASM3)/m3_compile.c
	test $$(grep -c '^typedef i32 *m3reg_t;' $(BOARD_WASM3)/m3_core.h) = 1 || { echo "board.mk: wasm3's m3reg_t typedef not found"; exit 1; }
	test $$(grep -c 'u64 operand' $(BOARD_WASM3)/m3_exec.h) = 0 && test $$(grep -c 'natpass \*/' $(BOARD_WASM3)/m3_exec.h) = 6 \
	  && test $$(grep -c 'end <= _mem->length' $(BOARD_WASM3)/m3_exec.h) = 6 && test $$(grep -c 'BOARD_LOAD (value' $(BOARD_WASM3)/m3_exec.h) = 2 \
	  && test $$(grep -c 'BOARD_STORE (mem8' $(BOARD_WASM3)/m3_exec.h) = 4 || { echo "board.mk: wasm3's load/store checks not as expected"; exit 1; }
	test $$(grep -c 'natpass: tee' $(BOARD_WASM3)/m3_compile.c) = 1 || { echo "board.mk: wasm3's local.tee not found"; exit 1; }
	sed -i -e 's/pageSize = (pageSize + (d_m3CodePageAlignSize-1)) & ~(d_m3CodePageAlignSize-1); \/\/ align/pageSize = board_code_page_size (pageSize); \/\* natpass: snapshot \*\//' \
	  -e 's/page = (IM3CodePage)m3_Malloc (pageSize);/page = (IM3CodePage)board_code_page_alloc (pageSize); \/\* natpass: snapshot \*\//' \
	  -e '1i #include "code_snapshot.h"' $(BOARD_WASM3)/m3_code.c
	sed -i -e 's/io_function->constants = m3_CopyMem (o->constants, io_function->numConstantBytes);/io_function->constants = board_code_constants (o->constants, io_function->numConstantBytes); \/\* natpass: snapshot \*\//' \
	  -e 's/^\( *\)EmitSlotOffset  (o, slotTop);$$/&\n\1if (op == op_Compile \&\& o->page) board_code_call_site (GetPagePC (o->page) - 3, (void *) op_Call); \/\* natpass: snapshot \*\//' \
	  -e '1i #include "code_snapshot.h"' $(BOARD_WASM3)/m3_compile.c
	sed -i -e 's|^ *// TODO: prealloc functions$$|    if (numFunctions) { io_module->functions = m3_ReallocArray (M3Function, io_module->functions, io_module->numFunctions + numFunctions, io_module->numFunctions); _throwifnull (io_module->functions); } /* natpass: prealloc */|' \
	  -e 's|^\( *_throwif("too many globals", numGlobals > d_m3MaxSaneGlobalsCount);\)$$|\1 if (numGlobals) { io_module->globals = m3_ReallocArray (M3Global, io_module->globals, io_module->numGlobals + numGlobals, io_module->numGlobals); _throwifnull (io_module->globals); } /* natpass: prealloc */|' \
	  $(BOARD_WASM3)/m3_parse.c
	test $$(grep -c 'natpass: prealloc' $(BOARD_WASM3)/m3_parse.c) = 2 || { echo "board.mk: wasm3's function and global section parse not as expected"; exit 1; }
	test $$(grep -c 'natpass: snapshot' $(BOARD_WASM3)/m3_code.c) = 2 && test $$(grep -c 'natpass: snapshot' $(BOARD_WASM3)/m3_compile.c) = 2 \
	  || { echo "board.mk: wasm3's code page, constants or call emission not as expected"; exit 1; }

$(BOARD_OUT)/module-checked: $(WASM) board/common/check-module.ts $(NPM_STAMP)
	@mkdir -p $(@D)
	node --import tsx board/common/check-module.ts $(WASM:.wasm=.wat)
	touch $@
# The module, the port's default config and the linear memory it needs, embedded by module.S.
board_embed = -DNATPASS_WASM_PATH='"$(WASM)"' -DNATPASS_CONFIG_PATH='"$(BOARD_OUT)/$(1)/default-config.bin"' \
  -DNATPASS_MEMORY_BYTES=$$(cat $(BOARD_OUT)/$(1)/default-config.bin.bytes)

.PHONY: board board-aot board-qemu board-rp2040 board-riscv size

$(BOARD_OUT)/%/default-config.bin: board/%/board-config.json board/common/gen-config.ts host/config.ts host/layout.ts $(WASM) $(NPM_STAMP)
	@mkdir -p $(@D)
	node --import tsx board/common/gen-config.ts $< $@

# $(call mps2_link,CONFIG_DIR,ENGINE): one command for both engines.
mps2_link = $(CROSS)gcc -mcpu=cortex-m3 -mthumb $(BOARD_CFLAGS) $(call board_embed,$(1)) \
	  -Tboard/qemu-mps2-an385/link.ld $(BOARD_LDFLAGS) -Wl,-Map=$(@:.elf=.map) \
	  board/qemu-mps2-an385/board.c $(BOARD_COMMON) board/common/module.S $(2) -o $@
$(BOARD_OUT)/qemu-mps2-an385.elf: $(BOARD_DEPS) $(BOARD_OUT)/qemu-mps2-an385/default-config.bin board/qemu-mps2-an385/board.c board/qemu-mps2-an385/link.ld
	@command -v $(CROSS)gcc >/dev/null || $(MAKE) apt
	$(call mps2_link,qemu-mps2-an385,$(ENGINE_WASM3))
	$(CROSS)size $@
$(BOARD_OUT)/qemu-mps2-an385-aot.elf: $(BOARD_AOT_DEPS) $(BOARD_OUT)/qemu-mps2-an385/default-config.bin board/qemu-mps2-an385/board.c board/qemu-mps2-an385/link.ld
	@command -v $(CROSS)gcc >/dev/null || $(MAKE) apt
	$(call mps2_link,qemu-mps2-an385,$(ENGINE_WASM2C))
	$(CROSS)size $@

# RP2040: boot2 is assembled alone, padded and checksummed (image.ts), then linked first in flash. -O2, not
# -Os: 6 % faster in process() and a shallower stack (measured), for 10 KB of the 2 MiB flash.
RP2040_DIR := board/rp2040-w5500
RP2040_C := $(RP2040_DIR)/board.c board/common/w5500.c $(RP2040_DIR)/flash.c
$(BOARD_OUT)/rp2040-w5500/boot2.bin: $(RP2040_DIR)/boot2.S $(RP2040_DIR)/image.ts $(NPM_STAMP)
	@command -v $(CROSS)gcc >/dev/null || $(MAKE) apt
	@mkdir -p $(@D)
	$(CROSS)gcc -mcpu=cortex-m0plus -mthumb -nostdlib -Wl,-Ttext=0x20041f00 -Wl,--entry=boot2_entry $< -o $(@D)/boot2.elf
	$(CROSS)objcopy -O binary -j .boot2 $(@D)/boot2.elf $(@D)/boot2.raw
	node --import tsx $(RP2040_DIR)/image.ts boot2 $(@D)/boot2.raw $@

# $(call rp2040_link,CONFIG_DIR,ENGINE[,FLAGS]). The AOT build has its own config (board-config-aot.json):
# with no parsed module or compiled code in RAM its tables can be far larger; and an 8 KiB stack (link.ld).
rp2040_link = $(CROSS)gcc -mcpu=cortex-m0plus -mthumb $(BOARD_CFLAGS) -O2 -I$(RP2040_DIR) $(call board_embed,$(1)) -DBOARD_WASM3_STACK_BYTES=5120 \
	  -DBOOT2_BIN='"$(BOARD_OUT)/rp2040-w5500/boot2.bin"' \
	  -T$(RP2040_DIR)/link.ld $(BOARD_LDFLAGS) -Wl,-Map=$(@:.elf=.map) \
	  $(RP2040_DIR)/boot2_image.S $(RP2040_C) $(BOARD_COMMON) board/common/module.S $(2) $(3) -o $@
$(BOARD_OUT)/rp2040-w5500.elf: $(BOARD_DEPS) $(BOARD_OUT)/rp2040-w5500/default-config.bin $(BOARD_OUT)/rp2040-w5500/boot2.bin $(RP2040_C) $(RP2040_DIR)/*.h $(RP2040_DIR)/link.ld $(RP2040_DIR)/hot-code.ld $(RP2040_DIR)/boot2_image.S
	$(call rp2040_link,rp2040-w5500,$(ENGINE_WASM3),-DBOARD_CODE_SNAPSHOT)
	$(CROSS)size $@
RP2040_AOT_STACK := -Wl,--defsym=BOARD_STACK_SIZE=8192
$(BOARD_OUT)/rp2040-w5500-aot/default-config.bin: $(RP2040_DIR)/board-config-aot.json board/common/gen-config.ts host/config.ts $(WASM) $(NPM_STAMP)
	@mkdir -p $(@D)
	node --import tsx board/common/gen-config.ts $< $@
$(BOARD_OUT)/rp2040-w5500-aot.elf: $(BOARD_AOT_DEPS) $(BOARD_OUT)/rp2040-w5500-aot/default-config.bin $(BOARD_OUT)/rp2040-w5500/boot2.bin $(RP2040_C) $(RP2040_DIR)/*.h $(RP2040_DIR)/link.ld $(RP2040_DIR)/hot-code.ld $(RP2040_DIR)/boot2_image.S
	$(call rp2040_link,rp2040-w5500-aot,$(ENGINE_WASM2C),$(RP2040_AOT_STACK))
	$(CROSS)size $@

$(BOARD_OUT)/rp2040-w5500-aot.bin: $(BOARD_OUT)/%.bin: $(BOARD_OUT)/%.elf
	$(CROSS)objcopy -O binary $< $@
# The wasm3 image carries its compiled code after the image (board/common/code_snapshot.h): the
# firmware, booted once in rp2040js at build time, compiles the module into flash (snapshot.ts).
$(BOARD_OUT)/rp2040-w5500.bin: $(BOARD_OUT)/rp2040-w5500.elf $(RP2040_DIR)/snapshot.ts $(RP2040_DIR)/emulator.ts
	$(CROSS)objcopy -O binary $< $(@:.bin=.linked.bin)
	node --import tsx $(RP2040_DIR)/snapshot.ts $(@:.bin=.linked.bin) $@

# board/rp2040-w5500/hot-code.ld from what both builds read from flash while forwarding (hot-code.ts);
# run after a change to the forwarding path: make bench's XIP figure shows a stale list.
.PHONY: hot-code
hot-code: $(BOARD_OUT)/rp2040-w5500.bin $(BOARD_OUT)/rp2040-w5500-aot.bin
	node --import tsx $(RP2040_DIR)/hot-code.ts

$(BOARD_OUT)/rp2040-w5500.uf2 $(BOARD_OUT)/rp2040-w5500-aot.uf2: $(BOARD_OUT)/%.uf2: $(BOARD_OUT)/%.bin $(RP2040_DIR)/image.ts
	node --import tsx $(RP2040_DIR)/image.ts uf2 $< $@

# RISC-V (RV32IMC, the ESP32-C3's core) with picolibc. Debian's toolchain has no rv32imc multilib:
# -march=rv32imc -mabi=ilp32 links the rv32im/ilp32 libraries, which is right (rv32imc_zicsr would fall
# back to a 64-bit default). board/common/picolibc.c gives picolibc its stdout and sbrk.
RISCV_CROSS := riscv64-unknown-elf-
RISCV_FLAGS := -march=rv32imc -mabi=ilp32 --specs=picolibc.specs
RISCV_LDFLAGS := -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments
RISCV_COMMON := $(BOARD_COMMON) board/common/picolibc.c board/common/module.S
RV_QEMU_DIR := board/qemu-riscv32
riscv_link = $(RISCV_CROSS)gcc $(RISCV_FLAGS) $(BOARD_CFLAGS) -I$(RV_QEMU_DIR) $(call board_embed,$(1)) \
	  -T$(RV_QEMU_DIR)/link.ld $(RISCV_LDFLAGS) -Wl,-Map=$(@:.elf=.map) \
	  $(RV_QEMU_DIR)/start.S $(RV_QEMU_DIR)/board.c $(RV_QEMU_DIR)/virtio_net.c $(RISCV_COMMON) $(2) -o $@
$(BOARD_OUT)/qemu-riscv32.elf: $(BOARD_DEPS) $(BOARD_OUT)/qemu-riscv32/default-config.bin board/common/picolibc.c $(RV_QEMU_DIR)/*.c $(RV_QEMU_DIR)/*.h $(RV_QEMU_DIR)/start.S $(RV_QEMU_DIR)/link.ld
	@command -v $(RISCV_CROSS)gcc >/dev/null || $(MAKE) apt
	$(call riscv_link,qemu-riscv32,$(ENGINE_WASM3))
	$(RISCV_CROSS)size $@
$(BOARD_OUT)/qemu-riscv32-aot.elf: $(BOARD_AOT_DEPS) $(BOARD_OUT)/qemu-riscv32/default-config.bin board/common/picolibc.c $(RV_QEMU_DIR)/*.c $(RV_QEMU_DIR)/*.h $(RV_QEMU_DIR)/start.S $(RV_QEMU_DIR)/link.ld
	@command -v $(RISCV_CROSS)gcc >/dev/null || $(MAKE) apt
	$(call riscv_link,qemu-riscv32,$(ENGINE_WASM2C))
	$(RISCV_CROSS)size $@

# ESP32-C3 (RV32IMC): an esptool image for flash offset 0 with --ram-only-header: the ROM loads its RAM
# segments and boot.c maps the flash ones (board/esp32c3-w5500/link.ld). esptool comes from PyPI, pinned,
# into a venv under build/. Runs only on the chip: image-info checks the image, nothing here boots it.
ESPTOOL_VERSION := 5.6.0
ESPTOOL := build/esptool/bin/esptool
APT_PACKAGES += python3-venv
$(ESPTOOL):
	@python3 -c 'import ensurepip' 2>/dev/null || $(MAKE) apt
	rm -rf build/esptool && python3 -m venv build/esptool
	build/esptool/bin/pip install --quiet --disable-pip-version-check esptool==$(ESPTOOL_VERSION)
ESP_DIR := board/esp32c3-w5500
$(BOARD_OUT)/esp32c3-w5500.elf: $(BOARD_DEPS) $(BOARD_OUT)/esp32c3-w5500/default-config.bin board/common/picolibc.c board/common/w5500.c board/common/w5500.h $(ESP_DIR)/*.c $(ESP_DIR)/*.h $(ESP_DIR)/start.S $(ESP_DIR)/*.ld
	@command -v $(RISCV_CROSS)gcc >/dev/null || $(MAKE) apt
	$(RISCV_CROSS)gcc $(RISCV_FLAGS) $(BOARD_CFLAGS) -I$(ESP_DIR) $(call board_embed,esp32c3-w5500) \
	  -T$(ESP_DIR)/link.ld $(ESP_DIR)/rom.ld $(RISCV_LDFLAGS) -Wl,-Map=$(BOARD_OUT)/esp32c3-w5500.map \
	  $(ESP_DIR)/start.S $(ESP_DIR)/boot.c $(ESP_DIR)/board.c $(ESP_DIR)/flash.c board/common/w5500.c $(RISCV_COMMON) $(ENGINE_WASM3) -o $@
	$(RISCV_CROSS)size $@

$(BOARD_OUT)/esp32c3-w5500.bin: $(BOARD_OUT)/esp32c3-w5500.elf $(ESPTOOL)
	$(ESPTOOL) --chip esp32c3 elf2image --flash-mode dio --flash-freq 40m --flash-size 4MB --ram-only-header -o $@ $<
	$(ESPTOOL) --chip esp32c3 image-info $@ > $@.info || { cat $@.info; exit 1; }
	grep -q 'Checksum: .*(valid)' $@.info || { cat $@.info; echo "esptool image-info: checksum not valid"; exit 1; }

board-qemu: $(BOARD_OUT)/qemu-mps2-an385.elf
board-rp2040: $(BOARD_OUT)/rp2040-w5500.bin $(BOARD_OUT)/rp2040-w5500.uf2
board-riscv: $(BOARD_OUT)/qemu-riscv32.elf $(BOARD_OUT)/esp32c3-w5500.bin
board: board-qemu board-rp2040 board-riscv
# The AOT builds (engine_wasm2c.c): the same firmware and tests, the module compiled into flash.
board-aot: $(BOARD_OUT)/qemu-mps2-an385-aot.elf $(BOARD_OUT)/rp2040-w5500-aot.bin $(BOARD_OUT)/rp2040-w5500-aot.uf2 $(BOARD_OUT)/qemu-riscv32-aot.elf

size: board board-aot
	node --import tsx board/common/size.ts
BOARD_TEST_DEPS := board board-aot

# The board part of make bench: forwarding speed measured by each firmware in its emulator (QEMU
# -icount; rp2040js's simulated clock).
.PHONY: bench-board
bench-board: board board-aot
	node --import tsx board/qemu-mps2-an385/bench.ts
	node --import tsx board/rp2040-w5500/bench.ts
	node --import tsx board/qemu-riscv32/bench.ts
bench: bench-board
