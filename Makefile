# wireaudit: single non-recursive GNU Makefile.
#
#   make            build ./wireaudit
#   make run        install missing Debian packages, build, run on the bundled capture
#   make test       install, build, run unit tests (also under ASan/UBSan) and integration tests
#   make asan       build ./build-asan/wireaudit with AddressSanitizer and UBSan
#   make deps       install missing Debian packages (needs root)
#   make lab        regenerate the captures under pcaps/ with the replay lab (needs root)
#   make lab-check  re-check the expected results of every lab capture
#   make bench      run the benchmarks recorded in BENCHMARKS.md
#   make format-check  check formatting against .clang-format
#   make install    install wireaudit and its patterns under PREFIX (default /usr/local)

CC ?= cc
BUILD ?= build
# V=1 shows full compiler command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif
PKGS := libpcap libndpi yaml-0.1 jansson libevtx libxml-2.0 libpcre2-8

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
PKG_LIBS := -lpcap -lndpi -lyaml -ljansson -levtx -lxml2 -lpcre2-8 -lm
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion -Wformat=2 \
            -Wcast-qual -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wundef -Wwrite-strings -Wimplicit-fallthrough
HARDENING := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -pthread $(OPT) $(WARNINGS) $(PKG_CFLAGS) -MMD -MP
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_ALL := -pthread -fsanitize=address,undefined
else
CFLAGS_ALL += $(HARDENING)
LDFLAGS_ALL := -pthread -pie
endif
CFLAGS_ALL += $(CFLAGS)
LDFLAGS_ALL += $(LDFLAGS)

LIB_SRCS := $(filter-out sensor/main.c,$(sort $(wildcard sensor/*.c dissectors/*.c patterns/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/sensor/main.o
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
LIB := $(BUILD)/libwireaudit.a

PREFIX ?= /usr/local

.PHONY: all run test check unit asan asan-test deps lab lab-check bench format-check clean install

all: wireaudit

wireaudit: $(BUILD)/wireaudit
	cp $< $@

$(BUILD)/wireaudit: $(MAIN_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(LIB): $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(LIB) $(PKG_LIBS) -lcmocka $(LDFLAGS_ALL)

unit: $(TEST_BINS)

# The bundled capture that `make run` reads; made by the replay lab (scripts/lab).
RUN_CAPTURE ?= pcaps/copy-to-admin-share-smb311.pcap

run: deps all
	./wireaudit --events build/run-events.jsonl $(RUN_CAPTURE)
	@echo "events written to build/run-events.jsonl"

deps:
	@scripts/install-deps.sh

test check: deps all unit
	@$(MAKE) --no-print-directory asan
	tests/run.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 OPT="-O1 -g" build-asan/wireaudit unit

lab:
	scripts/lab/run-lab.sh

lab-check: all
	tests/it_lab_expected.sh

bench: all
	scripts/bench.sh
	scripts/bench-logs.sh

format-check:
	clang-format --dry-run --Werror $(wildcard sensor/*.[ch] dissectors/*.[ch] patterns/*.[ch])

# Installs the binary in PREFIX/bin and the bundled patterns in PREFIX/share/wireaudit/rules,
# where the binary looks for them.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/wireaudit/rules
	install -m 755 wireaudit $(DESTDIR)$(PREFIX)/bin/wireaudit
	install -m 644 patterns/rules/*.yml $(DESTDIR)$(PREFIX)/share/wireaudit/rules/

clean:
	rm -rf build build-asan wireaudit

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
