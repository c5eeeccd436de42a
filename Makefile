# xwpf: one static binary (musl) with every applet.
#
#   make            ./xwpf for this machine (x86_64), dependencies built on first use
#   make dist       dist/xwpf-x86_64, dist/xwpf-aarch64, dist/xwpf-armv7
#   make test       unit and scenario tests          make test-asan   the same under ASan+UBSan
#   make unit       the unit tests alone (T=PATTERN)
#   make fuzz       libFuzzer targets for the parsers  make bench     xwpf beside haproxy, nginx, socat
#   make size       stripped sizes                   make clean
#
# Dependencies (musl, zlib, BearSSL, inih) come from Debian source packages,
# built by deps/build.sh into ~/.cache/xwpf-deps (XWPF_DEPS_DIR to move it).

VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
TARGET    ?= x86_64
BUILD     ?= build/$(TARGET)

# inih's compile-time options: must match deps/build.sh
INI_FLAGS := -DINI_HANDLER_LINENO=1 -DINI_MAX_LINE=4096 -DINI_ALLOW_MULTILINE=0 \
             -DINI_INLINE_COMMENT_PREFIXES='"\#"' -DINI_STOP_ON_FIRST_ERROR=0
WARN      := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
             -Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare -Wno-unused-parameter \
             -Wno-format-truncation   # snprintf cuts long messages on purpose
WARN      += $(if $(findstring clang,$(CC)),-Wno-unknown-warning-option)
ifeq ($(WERROR),1)
WARN      += -Werror
endif
# lib/ in parts (README.md, "Code layout"), each a folder; headers are found by name
PARTS     := base store proto system notify relay linktest migrate
LIBDIRS   := lib $(addprefix lib/,$(PARTS))
BASEFLAGS := -std=c11 -D_GNU_SOURCE -DXWPF_VERSION='"$(VERSION)"' $(INI_FLAGS) $(WARN) -I. \
             $(addprefix -I,$(LIBDIRS)) -Iapplets -Iapplets/menu -Iapplets/linktest -Iapplets/mptcp

SRCS      := $(wildcard $(addsuffix /*.c,$(LIBDIRS))) $(wildcard applets/*.c applets/*/*.c) xwpf.c
LIBS      := -lbearssl -linih -lz

ifeq ($(TARGET),host)
# glibc build for sanitizers and fuzzing: not shipped
NEED      := build $(if $(findstring clang,$(CC)),asan)
DEPS      := $(shell mkdir -p build && deps/need.sh $(NEED) >&2 || echo NEED; deps/build.sh host 2>build/deps-host.log || echo FAILED)
CC        ?= cc
CFLAGS    ?= -O1 -g
XCFLAGS   := $(BASEFLAGS) -isystem $(DEPS)/include
XLDFLAGS  := -L$(DEPS)/lib
else
NEED      := build $(if $(filter-out x86_64,$(TARGET)),cross)
DEPS      := $(shell mkdir -p build && deps/need.sh $(NEED) >&2 || echo NEED; deps/build.sh $(TARGET) 2>build/deps-$(TARGET).log || echo FAILED)
CC        := $(DEPS)/musl/bin/musl-gcc
CFLAGS    ?= -Os -g
XCFLAGS   := $(BASEFLAGS) -isystem $(DEPS)/include -ffunction-sections -fdata-sections
XLDFLAGS  := -static -L$(DEPS)/lib -Wl,--gc-sections
endif
ifneq ($(filter NEED,$(DEPS)),)
$(error the tools above are missing: install them (make does it when run as root with apt-get))
endif
ifneq ($(filter FAILED,$(DEPS)),)
$(error building the dependencies failed: see build/deps-$(TARGET).log)
endif

OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
OUT       ?= $(if $(filter x86_64,$(TARGET)),xwpf,$(BUILD)/xwpf)

.PHONY: all dist test test-asan fuzz bench size clean unit unit-build
all: $(OUT)

# linked beside and renamed into place: a running test never sees a half-written binary
$(OUT): $(OBJS)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@.$$$$.tmp $(OBJS) $(LIBS) && mv -f $@.$$$$.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

dist:
	$(MAKE) TARGET=x86_64
	@mkdir -p dist
	strip -o dist/xwpf-x86_64 xwpf
	$(MAKE) TARGET=aarch64 OUT=build/aarch64/xwpf
	aarch64-linux-gnu-strip -o dist/xwpf-aarch64 build/aarch64/xwpf
	$(MAKE) TARGET=armv7 OUT=build/armv7/xwpf
	arm-linux-gnueabihf-strip -o dist/xwpf-armv7 build/armv7/xwpf
	cp install.sh dist/ 2>/dev/null || true

size: all
	@strip -o build/xwpf.stripped xwpf
	@for f in build/xwpf.stripped dist/xwpf-*; do \
	  [ -f "$$f" ] && case $$f in *.sh) ;; *) printf '%-28s %8d bytes (%d KiB)\n' "$$f" \
	    $$(stat -c %s "$$f") $$(( $$(stat -c %s "$$f") / 1024 ));; esac; done; true

# Unit tests are linked against the same objects as the binary (but main).
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
LIB_OBJS  := $(filter $(BUILD)/lib/%,$(OBJS))
APPLET_OBJS := $(filter $(BUILD)/applets/%,$(OBJS))

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(APPLET_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-missing-prototypes -Wno-missing-declarations -Itests \
	  $(XLDFLAGS) $(LDFLAGS) -o $@.$$$$.tmp $< $(LIB_OBJS) $(APPLET_OBJS) $(LIBS) && mv -f $@.$$$$.tmp $@

# make unit [T=PATTERN]: build them and run them (those whose name has PATTERN);
# fails when one fails. unit-build only builds them (test, test-asan run them).
UNIT_DIR  ?= $(BUILD)/tests
unit-build: $(UNIT_BINS)

unit: unit-build
	XWPF=$(abspath $(OUT)) UNIT_DIR=$(abspath $(UNIT_DIR)) tests/run.sh 'unit-*$(T)'

# the scenarios' peers: installed when missing (as root, with apt-get), else the
# run names what it skipped and fails unless SKIP_OK=1
# (the release binaries too, for the whole suite or T=dist: a scenario runs them under qemu)
TEST_DIST := $(if $(T),$(if $(findstring $(T),dist_qemu),yes),yes)
test: all unit-build
	@deps/need.sh test || echo "make test: the checks that need them are skipped, and the run fails (SKIP_OK=1 accepts it)" >&2
	@[ "$(TEST_DIST)" != yes ] || $(MAKE) --no-print-directory dist > build/dist.log 2>&1 || echo "make test: make dist failed (build/dist.log): the release binaries' checks are skipped" >&2
	XWPF=$(abspath $(OUT)) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh $(T)

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
test-asan:
	$(MAKE) TARGET=host CC=clang CFLAGS="$(ASAN_FLAGS)" OUT=build/host/xwpf all unit-build
	@deps/need.sh test || echo "make test-asan: the checks that need them are skipped, and the run fails (SKIP_OK=1 accepts it)" >&2
	@[ "$(TEST_DIST)" != yes ] || $(MAKE) --no-print-directory dist > build/dist.log 2>&1 || echo "make test-asan: make dist failed (build/dist.log): the release binaries' checks are skipped" >&2
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  XWPF=$(abspath build/host/xwpf) UNIT_DIR=$(abspath build/host/tests) XWPF_SANITIZED=1 tests/run.sh $(T)

FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_LIB_OBJS = $(patsubst %.c,build/fuzz/%.o,$(wildcard $(addsuffix /*.c,$(LIBDIRS))))
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# make fuzz [FUZZ=NAME] [FUZZ_SECONDS=N]: build every target (tests/fuzz/fuzz_*.c) and
# run each (or NAME) for N seconds (30) on its seed corpus (tests/fuzz/corpus/NAME,
# copied to build/fuzz/corpus-NAME, which keeps what the run found) with its
# dictionary (tests/fuzz/dict/NAME.dict) when there is one; fails on a crash, leak,
# timeout or undefined behaviour, the input left as crash-*/leak-*/timeout-*
fuzz:
	$(MAKE) TARGET=host BUILD=build/fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_LIB_OBJS)
	@set -e; hostdeps=$$(deps/build.sh host 2>/dev/null); for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  case "$(FUZZ)" in ""|$$n) ;; *) continue ;; esac; \
	  clang -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(BASEFLAGS) -Wno-unknown-warning-option \
	    -isystem $$hostdeps/include -o build/fuzz/$$n $$f $(FUZZ_LIB_OBJS) -L$$hostdeps/lib $(LIBS); \
	  mkdir -p build/fuzz/corpus-$$n; cp -n tests/fuzz/corpus/$$n/* build/fuzz/corpus-$$n/ 2>/dev/null || true; \
	  dict=; [ -f tests/fuzz/dict/$$n.dict ] && dict=-dict=tests/fuzz/dict/$$n.dict; \
	  echo "fuzz: $$n for $${FUZZ_SECONDS:-30}s"; \
	  rc=0; build/fuzz/$$n -max_total_time=$${FUZZ_SECONDS:-30} -max_len=8192 -timeout=10 -print_final_stats=1 $$dict \
	    build/fuzz/corpus-$$n > build/fuzz/$$n.log 2>&1 || rc=$$?; \
	  grep -E '^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+.*DONE|==|SUMMARY|INFO: a crash)|runtime error' build/fuzz/$$n.log || true; \
	  test -z "$$(ls crash-* leak-* timeout-* oom-* 2>/dev/null)" || { echo "fuzz: $$n found a failure"; exit 1; }; \
	  [ $$rc = 0 ] && grep -q DONE build/fuzz/$$n.log || { echo "fuzz: $$n did not run to its end (status $$rc): build/fuzz/$$n.log"; tail -5 build/fuzz/$$n.log; exit 1; }; done

bench: all
	bench/run.sh
	XWPF=$(abspath $(OUT)) bench/overhead.sh

clean:
	rm -rf build dist xwpf build-deps.log
