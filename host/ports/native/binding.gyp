{ "targets": [{ "target_name": "natpass_ports", "sources": ["open.c", "batch.c", "merge.c", "split.c", "addon.c"], "cflags": ["-O2"] }] }
