# ulvm: `make demo` and `make check` do everything on a fresh Debian 12.
# Meson + Ninja do the building; this file installs what is missing, picks
# the build directories and runs things.
#   build/       optimized binaries (make, make demo, make bench)
#   build-san/   AddressSanitizer + UBSan, with the unit tests (make check)
#   build-fuzz/  libFuzzer targets, built with clang (make check)

BUILD ?= build
SAN   ?= build-san
FUZZ  ?= build-fuzz
FUZZ_SECONDS ?= 20
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build build-san build-fuzz demo check bench install uninstall clean

all: build

deps:
	@tools/install-deps

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release -Dtests=false >/dev/null
	@ninja -C $(BUILD) >/dev/null
	@echo "built $(BUILD)/src/daemon/ulvmd and $(BUILD)/src/cli/ulvm"

build-san: deps
	@[ -f $(SAN)/build.ninja ] || meson setup $(SAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	@ninja -C $(SAN) >/dev/null

build-fuzz: deps
	@[ -f $(FUZZ)/build.ninja ] || CC=clang meson setup $(FUZZ) --buildtype=debug -Dtests=false -Dfuzz=true -Db_lundef=false >/dev/null
	@ninja -C $(FUZZ) >/dev/null

demo: build
	@DEMO_EXIT=$(DEMO_EXIT) tools/demo $(BUILD)

check: build build-san build-fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run $(SAN) $(FUZZ)

bench: build
	@bench/run $(BUILD)

# ulvm, ulvmd, their man pages, the systemd units (system and user) and the
# bash completion, under $(DESTDIR)$(PREFIX); uninstall removes what the last
# install of $(BUILD) put there.
install: build
	@meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	@DESTDIR=$(DESTDIR) meson install -C $(BUILD) --quiet
	@echo "installed under $(DESTDIR)$(PREFIX)"

uninstall:
	@ninja -C $(BUILD) uninstall >/dev/null
	@echo "uninstalled what $(BUILD) installed"

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ)
