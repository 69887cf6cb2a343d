# Stockade — one Makefile for the binary, tests, sanitizers, fuzzers and benchmarks.
#
#   make             build ./stockade (gcc; CC=clang works too)
#   make test        unit (Criterion) + integration (pytest) tests
#   make asan        ASan+UBSan build in build/asan/stockade
#   make test-asan   integration suite against the ASan build
#   make test-tsan   the threads tests against a ThreadSanitizer build
#   make valgrind    the master under valgrind (a request cycle, a reload)
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
# libpq (Debian libpq-dev) for the pg:// imperial monitor
PQ_INC  := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
CPPFLAGS += -Isrc -D_GNU_SOURCE $(PY_INC) $(PQ_INC)
# libpq is dlopen()ed by the pg:// monitor (src/emperor/pq_dl.c): only its headers here
# libcrypto (Debian libssl-dev): signed subscriptions, src/router/subscription_sign.c only
LDLIBS  += $(PY_LIBS) $(JSON_LIBS) -lcrypto -lm -ldl -lpthread
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DSTOCKADE_VERSION='"$(VERSION)"'

UNAME_S := $(shell uname -s)
# OS backends: only the one for the target OS is compiled.
ALL_SRC  := $(shell find src -name '*.c' | sort)
# by file name: *linux.c, linux_*.c, *epoll.c / *freebsd.c, *kqueue.c
LINUX_SRC   := $(strip $(foreach f,$(ALL_SRC),$(if $(filter %linux.c linux_% %epoll.c,$(notdir $(f))),$(f))))
FREEBSD_SRC := $(filter %freebsd.c %kqueue.c,$(ALL_SRC))
OS_EXCL  := $(FREEBSD_SRC)
ifneq ($(UNAME_S),Linux)
OS_EXCL  := $(LINUX_SRC)
endif
ifeq ($(UNAME_S),FreeBSD)
# base: libjail (jail_set/jail_get), libutil; ports (python311, jansson): /usr/local
CPPFLAGS += -I/usr/local/include
LDFLAGS  += -L/usr/local/lib
LDLIBS   += -ljail -lutil
endif
LIB_SRC  := $(filter-out src/main.c $(OS_EXCL),$(ALL_SRC))

BUILD    ?= build/default
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
DEPS     := $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test test-repeat check-tree unit integration asan test-asan tsan test-tsan valgrind run clean deps fuzz fuzz-build bench check-freebsd docs

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

# the integration suite N times in a row, then every test that failed at least
# once with its count (JUnit XML of each run in build/repeat/);
# REPEAT_TESTS narrows it (a file, a test id)
N ?= 3
REPEAT_TESTS ?= tests/integration
test-repeat: stockade
	@rm -rf build/repeat; mkdir -p build/repeat; \
	for i in $$(seq 1 $(N)); do \
	  echo "== test-repeat: run $$i of $(N)"; \
	  STOCKADE_BIN=$(CURDIR)/stockade scripts/in-netns.sh $(PYTHON) -m pytest -q -rfE -p no:cacheprovider \
	    --junitxml=build/repeat/run-$$i.xml $(REPEAT_TESTS) | grep -E '^(FAILED|ERROR) | in [0-9.]+s'; \
	done; \
	$(PYTHON) scripts/test-repeat-report.py $$(seq -f build/repeat/run-%g.xml 1 $(N))

# layering, file length, OS #if, SPDX lines, KNF definitions (CONTRIBUTING.md)
check-tree:
	$(PYTHON) scripts/check-tree.py

test: deps
	$(MAKE) all
	$(MAKE) check-tree
	$(MAKE) unit
	$(MAKE) integration

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/stockade

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp STOCKADE_BIN=$(CURDIR)/build/asan/stockade scripts/in-netns.sh $(PYTHON) -m pytest -ra tests/integration

# issue 20: threads under ThreadSanitizer: the threads tests against a TSan
# build; every report lands in build/tsan/reports and fails the target. The
# jail test is left out: TSan's own background thread makes the jail refuse to
# restrict a process with more than one thread.
tsan:
	$(MAKE) BUILD=build/tsan CC=clang OPT=-O1 \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" \
	  LDFLAGS="-fsanitize=thread" build/tsan/stockade

test-tsan: tsan
	rm -rf build/tsan/reports && mkdir -p build/tsan/reports
	TSAN_OPTIONS="log_path=$(CURDIR)/build/tsan/reports/tsan second_deadlock_stack=1" \
	  STOCKADE_BIN=$(CURDIR)/build/tsan/stockade scripts/in-netns.sh $(PYTHON) -m pytest -ra -k "not jail" tests/integration/test_threads*.py
	@if ls build/tsan/reports/tsan.* >/dev/null 2>&1; then cat build/tsan/reports/tsan.*; echo "test-tsan: ThreadSanitizer reports above"; exit 1; fi
	@echo "test-tsan: no ThreadSanitizer report"

# the master under valgrind: a request cycle and a reload, no definite leak
valgrind: stockade
	STOCKADE_BIN=$(CURDIR)/stockade PYTHON=$(PYTHON) scripts/in-netns.sh scripts/valgrind-master.sh

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

# one target per fuzzer, so that `make -j2 fuzz` runs two at a time
FUZZ_RUNS := $(FUZZ_BIN:build/fuzz/%=fuzz-run-%)
.PHONY: $(FUZZ_RUNS)

fuzz: $(FUZZ_RUNS)

$(FUZZ_RUNS): fuzz-run-%: build/fuzz/%
	@n=$*; mkdir -p build/fuzz/corpus-$$n; \
	if ! build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 build/fuzz/corpus-$$n \
	     tests/fuzz/corpus/$${n#fuzz_} > build/fuzz/$$n.log 2>&1; then \
	  tail -n 40 build/fuzz/$$n.log; echo "fuzz: $$n found a problem"; exit 1; fi; \
	echo "== $$n ($(FUZZ_SECONDS)s): $$(tail -n 1 build/fuzz/$$n.log)"

bench: stockade
	bench/run.sh

# --- FreeBSD cross-compile + link check (docs/freebsd.md) ----------------------
# Every FreeBSD source compiled by clang for FreeBSD 13.5 against a sysroot
# with the project's warning flags, then the binary linked by lld against the
# sysroot's libc, libjail, libutil, libthr and libm. Nothing built is run.
# libpython, jansson and libpq are not in the sysroot: the objects compile
# against the host's CPython, jansson and libpq headers (a symlink mirror in build/freebsd/
# include whose pyconfig.h is the host's x86_64 one, as Debian's wrapper
# refuses non-Linux targets), and a generated build/freebsd/stubs.c defines
# exactly the Py*/json_*/PQ* symbols the objects use; any other unresolved
# symbol fails the link.
FREEBSD_TARGET ?= x86_64-unknown-freebsd13.5
JANSSON_INC    ?= /usr/include
LIBPQ_INC      ?= /usr/include/postgresql
FBSD_BUILD  := build/freebsd
FBSD_CC      = clang -target $(FREEBSD_TARGET) --sysroot=$(FREEBSD_SYSROOT)
FBSD_OBJ    := $(patsubst %.c,$(FBSD_BUILD)/%.o,$(filter-out src/main.c $(LINUX_SRC),$(ALL_SRC)) src/main.c)
FBSD_PYDIR   = $(patsubst -I%,%,$(firstword $(PY_INC)))
FBSD_PYCONF  = $(firstword $(wildcard /usr/include/$(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("MULTIARCH") or "-")' 2>/dev/null)/$(notdir $(FBSD_PYDIR))/pyconfig.h) $(FBSD_PYDIR)/pyconfig.h)
FBSD_CPPFLAGS = -Isrc -D_GNU_SOURCE -I$(FBSD_BUILD)/include/python -I$(FBSD_BUILD)/include -DSTOCKADE_VERSION='"$(VERSION)"'

$(FBSD_BUILD)/include/.stamp: Makefile
	rm -rf $(FBSD_BUILD)/include && mkdir -p $(FBSD_BUILD)/include/python
	ln -s $(FBSD_PYDIR)/* $(FBSD_BUILD)/include/python/
	ln -sf $(FBSD_PYCONF) $(FBSD_BUILD)/include/python/pyconfig.h
	ln -s $(JANSSON_INC)/jansson.h $(JANSSON_INC)/jansson_config.h $(FBSD_BUILD)/include/
	ln -s $(LIBPQ_INC)/libpq-fe.h $(LIBPQ_INC)/postgres_ext.h $(LIBPQ_INC)/pg_config_ext.h $(FBSD_BUILD)/include/
	touch $@

$(FBSD_BUILD)/%.o: %.c $(FBSD_BUILD)/include/.stamp
	@mkdir -p $(dir $@)
	$(FBSD_CC) $(WARN) $(CFLAGS) $(FBSD_CPPFLAGS) -MMD -MP -c -o $@ $<

$(FBSD_BUILD)/stubs.c: $(FBSD_OBJ)
	nm --defined-only $^ | awk 'NF == 3 { print $$3 }' | sort -u > $@.def
	nm -u $^ | awk '$$1 == "U" { print $$2 }' | grep -E '^_?(Py|json_|jansson_|PQ)' | sort -u | \
	  comm -23 - $@.def | awk 'BEGIN { print "/* generated: link-check stand-ins for libpython/jansson/libpq */" } \
	  { print "char " $$1 "[64];" }' > $@
	rm -f $@.def

$(FBSD_BUILD)/stubs.o: $(FBSD_BUILD)/stubs.c
	$(FBSD_CC) -c -o $@ $<

$(FBSD_BUILD)/stockade: $(FBSD_OBJ) $(FBSD_BUILD)/stubs.o
	$(FBSD_CC) -fuse-ld=lld -Wl,--fatal-warnings -o $@ $^ -ljail -lutil -lthr -lm $(FREEBSD_SYSROOT)/lib/libcrypto.so.111

check-freebsd:
ifeq ($(strip $(FREEBSD_SYSROOT)),)
	@echo "check-freebsd: skipped (FREEBSD_SYSROOT not set)"
else
	@test -f $(FREEBSD_SYSROOT)/usr/include/jail.h || \
	  { echo "check-freebsd: $(FREEBSD_SYSROOT)/usr/include/jail.h missing"; exit 1; }
	$(MAKE) $(FBSD_BUILD)/stockade
	@echo "check-freebsd: OK: $(words $(FBSD_OBJ)) objects compiled warning-free and $(FBSD_BUILD)/stockade linked for $(FREEBSD_TARGET)"
endif

-include $(FBSD_OBJ:.o=.d)

# the option reference is generated from the option table (a test checks it is current)
docs: stockade
	./stockade --options-markdown > docs/options.md
	./stockade --options-man > docs/stockade.1

clean:
	rm -rf build stockade
