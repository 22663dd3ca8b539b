# The wasm3 engine for Node: wasm3's sources from PyPI (host/wasm3/fetch.sh) and our N-API addon.
# The board (board/board.mk) builds from the same build/wasm3/source tree: depend on wasm3-src.

WASM3_SRC := build/wasm3/source/wasm3.h
WASM3_ADDON := host/wasm3/build/Release/natpass_wasm3.node

.PHONY: wasm3-src wasm3-addon test-wasm3 tap-addon

# TAP and AF_PACKET ports for natpass run (host/ports/native); TAP_ADDON keeps its name for the Makefile.
TAP_ADDON := host/ports/native/build/Release/natpass_ports.node
$(TAP_ADDON): $(wildcard host/ports/native/*.c host/ports/native/*.h) board/common/layout.generated.h host/ports/native/binding.gyp $(NPM_STAMP)
	cd host/ports/native && npx node-gyp rebuild --nodedir=/usr --silent

tap-addon: $(TAP_ADDON)

$(WASM3_SRC): host/wasm3/fetch.sh
	bash host/wasm3/fetch.sh build/wasm3

wasm3-src: $(WASM3_SRC)

$(WASM3_ADDON): $(WASM3_SRC) host/wasm3/natpass_wasm3.c host/wasm3/binding.gyp $(NPM_STAMP)
	cd host/wasm3 && npx node-gyp rebuild --nodedir=/usr --silent

wasm3-addon: $(WASM3_ADDON)

# The whole behavioural suite again, every frame through wasm3.
test-wasm3: deps build $(WASM3_ADDON)
	NATPASS_ENGINE=wasm3 $(VITEST)

TEST_TARGETS += test-wasm3

# Packets per second on every engine (never part of make test). Figures go to build/bench/.
# Then end to end (host/bench/e2e.ts, root only): natpass run against Linux's NAT in namespaces.
BENCH_PACKAGES := valgrind iperf3 ethtool nftables
.PHONY: bench bench-e2e bench-packages
bench-packages:
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

bench: deps build $(WASM3_ADDON) $(TAP_ADDON) bench-packages
	node --import tsx host/bench/bench.ts
	node --import tsx host/bench/longest-call.ts
	node --import tsx host/bench/e2e.ts

bench-e2e: deps build $(WASM3_ADDON) $(TAP_ADDON) bench-packages
	node --import tsx host/bench/e2e.ts

# The status page's test (test/http.test.ts) drives Debian's chromium through puppeteer-core;
# puppeteer-core downloads no browser of its own.
APT_PACKAGES += chromium
