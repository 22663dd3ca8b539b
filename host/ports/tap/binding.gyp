{ "targets": [{ "target_name": "natpass_tap", "sources": ["tap.c"] }] }
