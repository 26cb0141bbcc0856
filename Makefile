# postino — build, run, test, benchmark.
#
#   make          build bin/postino
#   make run      build and start `postino serve` on the embedded defaults
#   make check    unit + integration tests, the integration tests again
#                 on a private PostgreSQL cluster, all again under ASan/UBSan
#   make bench    fan-out and ingest benchmarks against smtp-sink
#   make install  binary, man pages, templates and contrib files under
#                 $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall
#
# Missing Debian packages are installed by scripts/deps.sh when run as
# root; otherwise it prints the apt-get line to run.

CC	?= cc
B	?= build/gcc
BIN	?= bin/postino
SAN	?=

PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	 = $(PREFIX)/sbin
MANDIR	 = $(PREFIX)/share/man
DATADIR	 = $(PREFIX)/share/postino
DOCDIR	 = $(PREFIX)/share/doc/postino
MANS	 = man/postino.8 man/postino.conf.5

PKGS	 = libetpan sqlite3 libsodium libidn2 libmicrohttpd libcares libpsl
# The PostgreSQL driver of the store (src/db_pgsql.c, libpq) is built
# when its source is there; without it db_open() refuses postgresql://.
ifneq ($(wildcard src/db_pgsql.c),)
PKGS	+= libpq
DB_DEFS	 = -DHAVE_PGSQL
endif
# libetpan's .pc leaks Debian's no-pie link specs; keep only -l/-L flags.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(filter -l% -L%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) $(DB_DEFS) -pthread
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

.PHONY: all run check unit integration integration-pg san bench clean deps \
	deps-check layers fuzz golden lint-man install uninstall

all: deps $(BIN)

deps:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh check

$(BIN): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(B)/%.o: src/%.c $(wildcard include/*.h) $(wildcard src/*.h)
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the module objects they test plus everything they pull
# in; linking through an archive keeps unrelated modules out.
$(B)/libpostino.a: $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $(LIBOBJS)

$(B)/test_%: tests/unit/test_%.c $(B)/libpostino.a
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(B)/libpostino.a $(LDLIBS) -lcmocka

run: all
	@scripts/run.sh ./$(BIN)

unit: $(UNITS)
	@scripts/run-unit.sh $(UNITS)

integration: $(BIN) $(B)/mimetree
	@POSTINO=$(abspath $(BIN)) MIMETREE=$(abspath $(B)/mimetree) \
	    python3 tests/integration/run.py

# The same suite on PostgreSQL: one private cluster for the run (initdb
# and pg_ctl in a temporary directory, unix socket only, run as nobody,
# stopped by PID), one database per postino instance.
integration-pg: $(BIN) $(B)/mimetree
	@POSTINO_TEST_DB=pgsql POSTINO=$(abspath $(BIN)) \
	    MIMETREE=$(abspath $(B)/mimetree) python3 tests/integration/run.py

# The tests read digests with libetpan too, through this small tool.
$(B)/mimetree: tests/tools/mimetree.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

check: deps-check
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory lint-man
	@python3 scripts/layers.py
	@scripts/mta.sh exim >/dev/null
	@scripts/mta.sh opensmtpd >/dev/null
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory integration-pg
	$(MAKE) --no-print-directory san

# mandoc exits non-zero on any warning (style notes are not checked:
# they depend on which other pages this machine has).
# No include goes up a layer or closes a cycle (ARCHITECTURE.md).
layers:
	@python3 scripts/layers.py

lint-man:
	mandoc -T lint -W warning $(MANS)

# Installed man pages and contrib files name the installed paths.
SUBST	 = sed -e 's\#/usr/sbin/postino\#$(SBINDIR)/postino\#g' \
	    -e 's\#/usr/share/postino/\#$(DATADIR)/\#g'
install: $(BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/postino
	for f in $$(find $(MANS) templates contrib -type f | sort); do \
		case $$f in \
		man/*) t=$(MANDIR)/man$${f##*.}/$${f#man/} ;; \
		templates/*) t=$(DATADIR)/$$f ;; \
		*) t=$(DOCDIR)/$$f ;; \
		esac; \
		install -d $(DESTDIR)$$(dirname $$t) && \
		m=644; [ -x $$f ] && m=755; \
		$(SUBST) $$f >$(DESTDIR)$$t && chmod $$m $(DESTDIR)$$t || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/postino $(DESTDIR)$(MANDIR)/man8/postino.8 \
	    $(DESTDIR)$(MANDIR)/man5/postino.conf.5
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# The same tests again, built by clang with AddressSanitizer and UBSan.
san:
	$(MAKE) --no-print-directory CC=clang SAN=1 B=build/san \
		BIN=bin/postino-san unit integration

bench: all $(B)/relay_bench $(B)/pipe_source
	@scripts/deps.sh bench
	@POSTINO=$(abspath $(BIN)) RELAY_BENCH=$(abspath $(B)/relay_bench) \
	    PIPE_SOURCE=$(abspath $(B)/pipe_source) python3 bench/bench.py

# The channel's limit: a pipelining client that needs no code of ours.
$(B)/pipe_source: bench/pipe_source.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $<

$(B)/relay_bench: bench/relay_bench.c $(B)/libpostino.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libpostino.a $(LDLIBS)

# Rewrite the golden outputs of tests/data/ from the current code; review
# the diff before committing it.
golden: $(B)/test_msg
	REGEN=1 ./$(B)/test_msg

# libFuzzer targets (clang): make fuzz FUZZTIME=60 runs each for a minute.
# The modules are built once with coverage into build/fuzz/libpostino.a
# (every module but the CLI's); each target links what it uses from it.
FUZZTIME ?= 60
FUZZFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -g -O1 $(PKG_CFLAGS)
FUZZOBJS  := $(patsubst src/%.c,build/fuzz/obj/%.o,\
	    $(filter-out src/main.c src/cmd_%.c,$(SRCS)))
FUZZERS	  = msg session socketmap token commands archive router dsn http dmarc checkpoint \
	    mailbox reply

build/fuzz/obj/%.o: src/%.c $(wildcard include/*.h) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    -c -o $@ $<

build/fuzz/libpostino.a: $(FUZZOBJS)
	@rm -f $@
	ar rcs $@ $(FUZZOBJS)

build/fuzz/fuzz_%: fuzz/fuzz_%.c build/fuzz/libpostino.a
	clang $(FUZZFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    build/fuzz/libpostino.a $(PKG_LIBS) -pthread

# Leaks inside libraries that no call of theirs frees: fuzz/lsan.supp;
# full stacks (the slow unwinder) so that an entry names the function
# that leaked, not the whole library.
fuzz: export LSAN_OPTIONS = suppressions=$(abspath fuzz/lsan.supp)
fuzz: export ASAN_OPTIONS = fast_unwind_on_malloc=0
fuzz: $(FUZZERS:%=build/fuzz/fuzz_%)
	@for f in $(FUZZERS); do mkdir -p build/fuzz/corpus-$$f; done
	./build/fuzz/fuzz_msg -max_total_time=$(FUZZTIME) -max_len=65536 \
	    -rss_limit_mb=2048 -timeout=10 build/fuzz/corpus-msg tests/data
	./build/fuzz/fuzz_dsn -max_total_time=$(FUZZTIME) -max_len=65536 \
	    -timeout=10 build/fuzz/corpus-dsn tests/data
	./build/fuzz/fuzz_session -max_total_time=$(FUZZTIME) \
	    build/fuzz/corpus-session
	./build/fuzz/fuzz_socketmap -max_total_time=$(FUZZTIME) \
	    build/fuzz/corpus-socketmap
	./build/fuzz/fuzz_token -max_total_time=$(FUZZTIME) \
	    build/fuzz/corpus-token
	./build/fuzz/fuzz_commands -max_total_time=$(FUZZTIME) -max_len=65536 \
	    build/fuzz/corpus-commands tests/data
	./build/fuzz/fuzz_archive -max_total_time=$(FUZZTIME) -max_len=65536 \
	    -timeout=10 build/fuzz/corpus-archive tests/data
	./build/fuzz/fuzz_router -max_total_time=$(FUZZTIME) -max_len=16384 \
	    -timeout=10 build/fuzz/corpus-router fuzz/router-seeds
	./build/fuzz/fuzz_http -max_total_time=$(FUZZTIME) -max_len=8192 \
	    build/fuzz/corpus-http
	./build/fuzz/fuzz_dmarc -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/corpus-dmarc
	./build/fuzz/fuzz_checkpoint -max_total_time=$(FUZZTIME) -max_len=1024 \
	    build/fuzz/corpus-checkpoint fuzz/checkpoint-seeds
	./build/fuzz/fuzz_mailbox -max_total_time=$(FUZZTIME) -max_len=1024 \
	    build/fuzz/corpus-mailbox
	./build/fuzz/fuzz_reply -max_total_time=$(FUZZTIME) -max_len=16384 \
	    build/fuzz/corpus-reply

clean:
	rm -rf build bin
