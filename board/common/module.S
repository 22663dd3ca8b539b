/* The module and the default config record, embedded in flash at build time (paths from board.mk).
   Apart, so that the AOT build (engine_wasm2c.c), which never reads the .wasm, leaves it out. */
    .section .rodata.natpass.wasm, "a"
    .balign 4
    .global natpass_wasm, natpass_wasm_end
natpass_wasm:
    .incbin NATPASS_WASM_PATH
natpass_wasm_end:
    .section .rodata.natpass.config, "a"
    .balign 4
    .global natpass_config, natpass_config_len
natpass_config:
    .incbin NATPASS_CONFIG_PATH
natpass_config_end:
    .balign 4
natpass_config_len:
    .word natpass_config_end - natpass_config
    .global natpass_memory_bytes
natpass_memory_bytes:
    .word NATPASS_MEMORY_BYTES
