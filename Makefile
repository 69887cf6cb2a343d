# Stockade — one Makefile for the binary, tests, sanitizers, fuzzers and benchmarks.
#
#   make             build ./stockade (gcc; CC=clang works too)
#   make test        unit (Criterion) + integration (pytest) tests
#   make asan        ASan+UBSan build in build/asan/stockade
#   make test-asan   integration suite against the ASan build
#   make run         build and serve examples/hello.ini
#   make fuzz        run every libFuzzer target FUZZ_SECONDS each (clang)
#   make bench       side-by-side benchmark (bench/)

CC      ?= gcc
PYTHON_CONFIG ?= /usr/bin/python3-config
# Debian's interpreter (a per-user Python may come first on PATH)
PYTHON  ?= /usr/bin/python3
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -std=gnu11 -Wall -Wextra -Werror
PY_INC  := $(shell $(PYTHON_CONFIG) --includes 2>/dev/null)
PY_LIBS := $(shell $(PYTHON_CONFIG) --embed --ldflags 2>/dev/null)
JSON_LIBS := -ljansson
CPPFLAGS += -Isrc -D_GNU_SOURCE $(PY_INC)
LDLIBS  += $(PY_LIBS) $(JSON_LIBS) -lm -ldl -lpthread
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DSTOCKADE_VERSION='"$(VERSION)"'

UNAME_S := $(shell uname -s)
# OS backends: only the one for the target OS is compiled.
ALL_SRC  := $(shell find src -name '*.c' | sort)
OS_EXCL  := src/jail/freebsd.c src/net/event_kqueue.c
ifneq ($(UNAME_S),Linux)
OS_EXCL  := $(filter %linux.c %linux_%.c %epoll.c,$(ALL_SRC))
endif
LIB_SRC  := $(filter-out src/core/main.c $(OS_EXCL),$(ALL_SRC))

BUILD    ?= build/default
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/core/main.o
DEPS     := $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit integration asan test-asan run clean deps fuzz fuzz-build bench check-freebsd docs

all: stockade

stockade: $(BUILD)/stockade
	cp $< $@

$(BUILD)/stockade: $(LIB_OBJ) $(MAIN_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libstockade.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libstockade.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $< $(BUILD)/libstockade.a $(LDFLAGS) -lcriterion $(LDLIBS)

-include $(DEPS)

deps:
	@scripts/deps.sh

unit: $(UNIT_BIN)
	@set -e; fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; $$t --jobs 2 || fail=1; done; \
	  test $$fail = 0 && echo "unit tests: all passed"

integration: stockade
	STOCKADE_BIN=$(CURDIR)/stockade scripts/in-netns.sh $(PYTHON) -m pytest -ra tests/integration

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/stockade

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp STOCKADE_BIN=$(CURDIR)/build/asan/stockade scripts/in-netns.sh $(PYTHON) -m pytest -ra tests/integration

run: deps stockade
	./stockade --ini examples/hello.ini

# --- fuzzing (clang + libFuzzer) -----------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined

build/fuzz/lib.a: $(LIB_SRC)
	$(MAKE) BUILD=build/fuzz/obj CC=clang CFLAGS="$(FUZZ_CFLAGS)" build/fuzz/obj/libstockade.a
	cp build/fuzz/obj/libstockade.a $@

build/fuzz/%: tests/fuzz/%.c build/fuzz/lib.a
	clang $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< build/fuzz/lib.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 build/fuzz/corpus-$$n tests/fuzz/corpus/$${n#fuzz_} 2>&1 | tail -n 3; done

bench: stockade
	bench/run.sh

clean:
	rm -rf build stockade
