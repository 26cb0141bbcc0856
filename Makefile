# postino — build, run, test, benchmark.
#
#   make          build bin/postino
#   make run      build and start `postino serve` on the embedded defaults
#   make check    unit + integration tests, then again under ASan/UBSan
#   make bench    fan-out and ingest benchmarks against smtp-sink
#
# Missing Debian packages are installed by scripts/deps.sh when run as
# root; otherwise it prints the apt-get line to run.

CC	?= cc
B	?= build/gcc
BIN	?= bin/postino
SAN	?=

PKGS	 = libetpan sqlite3 libsodium
# libetpan's .pc leaks Debian's no-pie link specs; keep only -l/-L flags.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(filter -l% -L%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) -pthread
LDLIBS	 = $(PKG_LIBS) -pthread

ifeq ($(SAN),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

SRCS	:= $(wildcard src/*.c)
OBJS	:= $(SRCS:src/%.c=$(B)/%.o)
LIBOBJS	:= $(filter-out $(B)/main.o,$(OBJS))
UNITS	:= $(patsubst tests/unit/%.c,$(B)/%,$(wildcard tests/unit/test_*.c))

.PHONY: all run check unit integration san bench clean deps deps-check fuzz

all: deps $(BIN)

deps:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh check

$(BIN): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(B)/%.o: src/%.c $(wildcard include/*.h) src/store_int.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the module objects they test plus everything they pull
# in; linking through an archive keeps unrelated modules out.
$(B)/libpostino.a: $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $(LIBOBJS)

$(B)/test_%: tests/unit/test_%.c $(B)/libpostino.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libpostino.a $(LDLIBS) -lcmocka

run: all
	./$(BIN) serve

unit: $(UNITS)
	@scripts/run-unit.sh $(UNITS)

integration: $(BIN)
	@POSTINO=$(abspath $(BIN)) python3 tests/integration/run.py

check: deps-check
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory san

# The same tests again, built by clang with AddressSanitizer and UBSan.
san:
	$(MAKE) --no-print-directory CC=clang SAN=1 B=build/san \
		BIN=bin/postino-san unit integration

bench: all
	@scripts/deps.sh bench
	@POSTINO=$(abspath $(BIN)) python3 bench/bench.py

clean:
	rm -rf build bin
