{ "targets": [{ "target_name": "natpass_ports", "sources": ["open.c", "batch.c", "merge.c", "addon.c"], "cflags": ["-O2"] }] }
