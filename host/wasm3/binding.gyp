{
  "targets": [{
    "target_name": "natpass_wasm3",
    "sources": [
      "natpass_wasm3.c",
      "../../build/wasm3/source/m3_bind.c", "../../build/wasm3/source/m3_code.c", "../../build/wasm3/source/m3_compile.c",
      "../../build/wasm3/source/m3_core.c", "../../build/wasm3/source/m3_emit.c", "../../build/wasm3/source/m3_env.c",
      "../../build/wasm3/source/m3_exec.c", "../../build/wasm3/source/m3_function.c", "../../build/wasm3/source/m3_info.c",
      "../../build/wasm3/source/m3_module.c", "../../build/wasm3/source/m3_parse.c"
    ],
    "include_dirs": ["../../build/wasm3/source"],
    "cflags": ["-O3", "-std=gnu11", "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unused-parameter", "-Wno-sign-compare", "-Wno-missing-field-initializers"],
    "defines": ["d_m3HasWASI=0", "d_m3LogOutput=0"]
  }]
}
