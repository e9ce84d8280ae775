# prefd - pairwise model-output preference rating service.
#
#   make            build build/prefd and build/prefctl
#   make run        install missing Debian packages, build, start a private PostgreSQL under ./var,
#                   migrate, load the Vicuna80 demo and serve on http://127.0.0.1:8080
#   make test       the same set-up, then unit, database, end-to-end and browser tests
#   make cluster    the scaled-out topology on loopback under ./var/cluster: HAProxy, three prefd
#                   nodes, a PostgreSQL primary and synchronous standby under pg_auto_failover
#   make test-cluster  the failover test on that topology (kill -9 a node, then the primary)
#   make bench-cluster throughput through HAProxy with one and three prefd nodes (prints figures)
#   make bench      ranking and import/leaderboard/export benchmarks (prints figures)
#   make screenshots  refresh client/web/screenshots (the README's pictures of the pages)
#   make format     clang-format every C file
#   make fuzz       build the libFuzzer targets (clang) in build-fuzz/ and run each for FUZZ_TIME
#                   seconds (default 50) from its seed corpus; fails on any finding
#
# Switches: SAN=address,undefined (sanitizers), WERROR=1 (warnings are errors), O=0 (no optimising),
# BUILD=dir (build elsewhere than ./build, e.g. to keep a sanitizer build beside the normal one).

CC      ?= cc
O       ?= 2
PKGS    := libevent libevent_openssl libevent_pthreads libpq jansson openssl libcmark
BUILD   ?= build

CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O$(O) -g \
	-Wall -Wextra -Wpedantic -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wformat=2 \
	-Wvla -Wno-unused-parameter -fno-strict-aliasing -Iinclude -MMD -MP
ifneq ($(WERROR),)
CFLAGS_BASE += -Werror
endif
ifneq ($(SAN),)
CFLAGS_BASE += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS     += -fsanitize=$(SAN)
endif
# The fuzzing build (make fuzz): every object instrumented for libFuzzer and the sanitizers.
FUZZ_SAN := fuzzer,address,undefined
ifneq ($(FUZZ),)
CFLAGS_BASE += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CURL_CFLAGS = $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell pkg-config --libs libcurl 2>/dev/null)
LIBS       = $(PKG_LIBS) -lm -pthread

# The server: every server/*.c; main.c holds main() and stays out of the test binaries.
SERVER_SRC  := $(wildcard server/*.c)
SERVER_OBJ  := $(SERVER_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ     := $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ))
# Files compiled into the binary: migrations and the web client.
# One sorted list (embedded_find searches it by path); screenshots are for the README only.
EMBED_SRC   := $(sort $(wildcard sql/*.sql sql/functions/*.sql) $(shell find client/web -type f -not -path 'client/web/screenshots/*' 2>/dev/null))
EMBED_OBJ   := $(BUILD)/gen/embedded.o

CLIENT_SRC  := $(wildcard client/prefctl/*.c)
CLIENT_OBJ  := $(CLIENT_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DBTEST_SRC  := $(wildcard tests/db/dbtest_*.c)
DBTEST_BIN  := $(DBTEST_SRC:tests/db/%.c=$(BUILD)/tests/%)
BENCH_SRC   := $(wildcard tests/bench/*.c)
BENCH_BIN   := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_BUILD  ?= build-fuzz
FUZZ_TIME   ?= 50

.PHONY: all deps run test test-unit test-db test-e2e test-browser screenshots bench fuzz \
	fuzz-targets format clean distclean cluster test-cluster bench-cluster

all: $(BUILD)/prefd $(if $(CLIENT_SRC),$(BUILD)/prefctl) $(UNIT_BIN) $(DBTEST_BIN)

# The toolchain and libraries are checked (and installed when missing) before the first compile.
$(BUILD)/.deps-ok: tools/deps.sh
	@sh tools/deps.sh build
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(CURL_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/embed: tools/embed.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -o $@ $<

$(BUILD)/gen/embedded.c: $(BUILD)/embed $(EMBED_SRC) Makefile
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(EMBED_SRC)

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c
	$(CC) -std=c11 -O0 -Iinclude -c $< -o $@

$(BUILD)/prefd: $(SERVER_OBJ) $(EMBED_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/prefctl: $(CLIENT_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(CURL_LIBS) $(shell pkg-config --libs jansson) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_OBJ) $(EMBED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/db/%.o $(LIB_OBJ) $(EMBED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIB_OBJ) $(EMBED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(LIB_OBJ) $(EMBED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=$(FUZZ_SAN) -o $@ $^ $(LIBS)

deps:
	@sh tools/deps.sh all

run: deps all
	@sh tools/run.sh

test: deps all
	@BUILD=$(BUILD) sh tests/run.sh all

test-unit: all
	@BUILD=$(BUILD) sh tests/run.sh unit
test-db: all
	@BUILD=$(BUILD) sh tests/run.sh db
test-e2e: all
	@BUILD=$(BUILD) sh tests/run.sh e2e
test-browser: all
	@BUILD=$(BUILD) sh tests/run.sh browser

# Refreshes the README's pictures of the rating, leaderboard and admin pages.
screenshots: all
	@PREFD_SCREENSHOTS=$(CURDIR)/client/web/screenshots BUILD=$(BUILD) sh tests/run.sh browser

bench: deps all $(BENCH_BIN)
	@sh tests/bench/run.sh

cluster: all
	@sh tools/deps.sh cluster
	@python3 tools/cluster.py run
test-cluster: all
	@sh tools/deps.sh cluster
	@BUILD=$(BUILD) sh tests/run.sh cluster
bench-cluster: all
	@sh tools/deps.sh cluster
	@BUILD=$(BUILD) python3 tests/bench/cluster_bench.py

# Fuzzing needs Debian's clang and its libFuzzer runtime; it builds apart from ./build.
fuzz:
	@sh tools/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang FUZZ=1 fuzz-targets
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

fuzz-targets: $(FUZZ_BIN)

format:
	clang-format -i $$(find server client include tests -name '*.[ch]' -not -path '*/node_modules/*')

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)

# Also removes the private database under ./var (asks nothing: it is only the demo's data).
distclean: clean
	@if [ -d var/pg ]; then sh tools/pg.sh stop var/pg || true; fi
	@if [ -d var/cluster ] && pgrep -f "$(CURDIR)/var/cluster/" >/dev/null; then \
		echo "make distclean: stop make cluster first" >&2; exit 1; fi
	rm -rf var node_modules

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
