# Redress. `make run` serves locally; `make test` runs every suite, plain and
# under AddressSanitizer + UndefinedBehaviorSanitizer. See README.md.

CC      ?= gcc
BUILD   := build
GEN     := $(BUILD)/gen

PKGS      := libmicrohttpd jansson libpq libcrypto zlib libcurl pangocairo pangoft2 fontconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null || echo -I/usr/include/postgresql)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lpq -lcrypto -lz -lcurl -lpangocairo-1.0 -lpangoft2-1.0 -lpango-1.0 -lgobject-2.0 -lglib-2.0 -lcairo -lfontconfig)
TEST_LIBS  := $(shell pkg-config --libs check libcurl 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lcurl)

WARNINGS := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
            -Wpointer-arith -Wcast-qual -Wsign-compare -Wformat=2 -Wvla
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE $(WARNINGS) -fstack-protector-strong -Iinclude -I$(GEN) $(PKG_CFLAGS)
CFLAGS_RELEASE := $(CFLAGS_COMMON) -O2 -g -D_FORTIFY_SOURCE=2
CFLAGS_ASAN := $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all
LDLIBS := $(PKG_LIBS) -lpthread

# The console's files (service/console/, subfolders too), served by
# service/console/assets.c, which is compiled rather than embedded; hidden
# files (an editor's) stay out.
CONSOLE_FILES := $(sort $(shell find service/console -type f ! -name '*.c' ! -name '*.h' ! -name '.*'))

# Data compiled into the binary: migrations, SQL statements, reply templates,
# the console.
EMBED_FILES := $(sort $(wildcard migrations/*.sql)) service/db/statements.sql \
               $(sort $(wildcard service/engine/templates/*.json)) \
               $(sort $(wildcard service/engine/triage/*.json)) \
               $(CONSOLE_FILES)

LIB_SRC  := $(sort $(wildcard service/*/*.c))
MAIN_SRC := service/main.c
TEST_SRC := $(sort $(wildcard tests/*.c))

# $(call objects,VARIANT_DIR,SOURCES)
objects = $(patsubst %.c,$(1)/obj/%.o,$(2))

REL_LIB_OBJ  := $(call objects,$(BUILD),$(LIB_SRC)) $(BUILD)/obj/gen/embedded.o
ASAN_LIB_OBJ := $(call objects,$(BUILD)/asan,$(LIB_SRC)) $(BUILD)/asan/obj/gen/embedded.o

.PHONY: all build asan deps test run apikey bench bench-engine lint-spec clean faults fuzz fuzz-build fuzz-smoke
all: build

build: $(BUILD)/redress $(BUILD)/tests/check_redress
asan: $(BUILD)/asan/redress $(BUILD)/asan/tests/check_redress

$(GEN)/embedded.c: scripts/embed.sh $(EMBED_FILES)
	@mkdir -p $(GEN)
	@echo "  EMBED   $@"
	@scripts/embed.sh $@ $(EMBED_FILES)

$(BUILD)/obj/gen/embedded.o: $(GEN)/embedded.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS_RELEASE) -c $< -o $@
$(BUILD)/asan/obj/gen/embedded.o: $(GEN)/embedded.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS_ASAN) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_RELEASE) -MMD -MP -c $< -o $@
$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@

$(BUILD)/redress: $(BUILD)/obj/service/main.o $(REL_LIB_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) $^ -o $@ $(LDLIBS)
$(BUILD)/asan/redress: $(BUILD)/asan/obj/service/main.o $(ASAN_LIB_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ASAN) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/check_redress: $(call objects,$(BUILD),$(TEST_SRC)) $(REL_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) $^ -o $@ $(LDLIBS) $(TEST_LIBS)
$(BUILD)/asan/tests/check_redress: $(call objects,$(BUILD)/asan,$(TEST_SRC)) $(ASAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ASAN) $^ -o $@ $(LDLIBS) $(TEST_LIBS)

$(BUILD)/bench_engine: tests/bench/engine.c $(REL_LIB_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) $^ -o $@ $(LDLIBS)

$(BUILD)/bench_evidence: tests/bench/evidence.c $(REL_LIB_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) $^ -o $@ $(LDLIBS)

$(BUILD)/triage_eval: tests/bench/triage_eval.c tests/triage_set.c $(REL_LIB_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) -Itests $^ -o $@ $(LDLIBS)

# Triage against the labelled messages of tests/data/triage: accuracy per
# language and per category, signals' recall and precision (-v: TRIAGE_VERBOSE=1).
.PHONY: triage-report
triage-report: deps
	@$(MAKE) --no-print-directory $(BUILD)/triage_eval
	@$(BUILD)/triage_eval $(if $(TRIAGE_VERBOSE),-v)

# Decisions per second per core, reply rendering and JSON included.
bench-engine: deps
	@$(MAKE) --no-print-directory $(BUILD)/bench_engine
	@$(BUILD)/bench_engine $(BENCH_ITERATIONS)

# The evidence PDF: render times of 1, 3 and 14-page packs (BENCH_RENDERS
# each, default 50), then POST /v1/cases throughput with and without PDFs
# being downloaded (scripts/bench-evidence.sh).
.PHONY: bench-evidence
bench-evidence: deps
	@$(MAKE) --no-print-directory $(BUILD)/redress $(BUILD)/bench_evidence
	@$(BUILD)/bench_evidence $(BENCH_RENDERS)
	@BENCH_BINARY=$(BUILD)/redress scripts/bench-evidence.sh

# POST /v1/policy/simulate over BENCH_CASES (1,000,000) recorded cases.
.PHONY: bench-simulate
bench-simulate: deps build
	@BENCH_BINARY=$(BUILD)/redress scripts/bench-simulate.sh

# Imports, reports and POST /v1/cases at 5,000,000 order lines and
# 1,000,000 cases (about 15 minutes; scripts/bench-reports.sh says how).
.PHONY: bench-reports
bench-reports: deps
	@$(MAKE) --no-print-directory $(BUILD)/redress
	@BENCH_BINARY=$(BUILD)/redress scripts/bench-reports.sh

# The service under wrk against pgbench running the same statements.
bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/redress
	@scripts/bench.sh

# Fuzzing with clang's libFuzzer: every tests/fuzz/fuzz_*.c is a harness,
# linked against the library sources and the embedded data, built with
# clang under AddressSanitizer + UndefinedBehaviorSanitizer in their own
# directory. `make fuzz FUZZ_SECONDS=N` runs each for N seconds, one at a
# time (seeds from the test data, a dictionary from the service's tables
# and tests/fuzz/redress.dict, a working corpus under $(FUZZ_DIR)/corpus)
# and fails on any crash, leak or timeout (scripts/fuzz.sh); `make
# fuzz-smoke` replays tests/fuzz/regressions and runs each for seconds.
FUZZ_CC        := clang
FUZZ_DIR       := $(BUILD)/fuzz
FUZZ_SECONDS   ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_HARNESSES := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
CFLAGS_FUZZ    := $(CFLAGS_COMMON) -Iservice/engine -O1 -g -fno-omit-frame-pointer \
                  -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ   := $(call objects,$(FUZZ_DIR),$(LIB_SRC)) $(FUZZ_DIR)/obj/gen/embedded.o
.SECONDARY: $(FUZZ_LIB_OBJ) $(patsubst %,$(FUZZ_DIR)/obj/tests/fuzz/%.o,$(FUZZ_HARNESSES))

$(FUZZ_DIR)/obj/gen/embedded.o: $(GEN)/embedded.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_HARNESSES))

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_HARNESSES)

# Installs only what is missing (apt-get; needs root on a fresh machine).
deps:
	@scripts/deps.sh

# Everything the tests need, then every suite, plain and sanitized, against
# a throwaway PostgreSQL that scripts/test.sh starts and stops.
test: deps
	@$(MAKE) --no-print-directory build asan
	@scripts/openapi.sh lint
	@POSTGRES_PASSWORD=compose-check docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"
	@scripts/test.sh $(BUILD)/tests/check_redress $(BUILD)/asan/tests/check_redress
	@scripts/console-test.sh $(BUILD)/redress
	@$(MAKE) --no-print-directory fuzz-smoke

# Fault programs: every tests/faults/fault_*.c is one (its own main), linked
# with tests/faults/common.c and the PostgreSQL proxy of tests/pgproxy.c.
# scripts/faults.sh runs each against $(BUILD)/redress and a throwaway
# PostgreSQL, bounded in time, loopback only; "N passed, N failed" at the end.
FAULT_COMMON := tests/faults/common.c tests/pgproxy.c tests/http_text.c
FAULT_BINS   := $(patsubst tests/faults/%.c,$(BUILD)/faults/%,$(sort $(wildcard tests/faults/fault_*.c)))

$(BUILD)/faults/fault_%: tests/faults/fault_%.c $(FAULT_COMMON) tests/faults/common.h tests/pgproxy.h tests/http_text.h
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_RELEASE) -Itests -Itests/faults $< $(FAULT_COMMON) -o $@ $(LDLIBS)

faults: deps
	@$(MAKE) --no-print-directory $(BUILD)/redress $(FAULT_BINS)
	@scripts/faults.sh $(BUILD) $(FAULT_BINS)

# Lint openapi.yaml (Redocly CLI, pinned in tests/openapi).
lint-spec:
	@scripts/openapi.sh lint

run: deps
	@$(MAKE) --no-print-directory build
	@scripts/run-local.sh

# Sample cases for the local demo tenant, while `make run` serves (the
# console then has numbers to show): scripts/demo-data.sh.
.PHONY: demo-data
demo-data: build
	@scripts/demo-data.sh

apikey: deps
	@test -n "$(TENANT)" || { echo "usage: make apikey TENANT=name" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(BUILD)/redress
	@scripts/apikey-local.sh "$(TENANT)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
