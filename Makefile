# rftp — build, test, lint, install.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
BIN = target/release/rftp
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

# Static builds live in their own target dir so they never invalidate the
# host build's artifacts in target/.
STATIC_DIR = target/static
ARCHES = x86_64 aarch64
STATIC_BIN = $(STATIC_DIR)/$(1)-unknown-linux-musl/release/rftp
# The budget for each static binary, with the secure channel at opt-level 3:
# 2.0 MiB x86_64, 1.8 MiB aarch64. Measured: 1585616 and 1431760 bytes
# (see Cargo.toml's release profile).
STATIC_MAX_BYTES_x86_64 = 2097152
STATIC_MAX_BYTES_aarch64 = 1887436

.PHONY: all build test lint install uninstall bench clean static dist fuzz fuzz-cmin

all: build

build:
	$(CARGO) build --release

# Everything CI checks: formatting, lints, unit and integration tests.
test:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy -p rftp-aead --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) test -p rftp-aead

# Fuzzing, on nightly with cargo-fuzz (`cargo install cargo-fuzz`), never
# part of `test`: each target runs FUZZ_SECS seconds, one after another, on
# its corpus in fuzz/corpus/TARGET; a crash stops the run and leaves its
# input in fuzz/artifacts/TARGET. No sanitizer by default: rftp has no
# `unsafe`, and without one the targets run several times faster.
FUZZ_SECS ?= 30
FUZZ_TARGETS ?= words request reply read_line payload resolve_path glob inflate
FUZZ_FLAGS ?= -s none -a
FUZZ_ARGS ?=

fuzz:
	@cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t; \
	  opts="-max_total_time=$(FUZZ_SECS)"; \
	  if [ -f dict/$$t.dict ]; then opts="$$opts -dict=dict/$$t.dict"; fi; \
	  if [ $$t = payload ]; then opts="$$opts -max_len=8192"; fi; \
	  echo "fuzz: $$t for $(FUZZ_SECS)s"; \
	  cargo +nightly fuzz run $(FUZZ_FLAGS) $$t corpus/$$t -- $$opts $(FUZZ_ARGS) || exit 1; \
	done

# Shrink each corpus to the inputs that add coverage (before committing it).
fuzz-cmin:
	@cd fuzz && for t in $(FUZZ_TARGETS); do \
	  cargo +nightly fuzz cmin $(FUZZ_FLAGS) $$t corpus/$$t || exit 1; \
	done

MANPAGES = man/rftp.1 man/rftp-protocol.5

lint:
	mandoc -Tlint -W warning $(MANPAGES)

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/rftp
	install -m 644 man/rftp.1 $(DESTDIR)$(PREFIX)/share/man/man1/rftp.1
	install -m 644 man/rftp-protocol.5 \
	  $(DESTDIR)$(PREFIX)/share/man/man5/rftp-protocol.5

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rftp $(DESTDIR)$(PREFIX)/share/man/man1/rftp.1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5/rftp-protocol.5

# One table of rftp against its peers (bench/table; needs root, installs what
# is missing, 15 to 20 minutes). Each of the other scripts in bench/ runs
# alone with `bash bench/NAME`.
bench: build
	bash bench/table

# Static musl release binaries for every arch in ARCHES, checked to be
# statically linked and within the size budget. The aarch64 linker is set in
# .cargo/config.toml.
static:
	if command -v rustup >/dev/null 2>&1; then \
	  rustup target add $(ARCHES:%=%-unknown-linux-musl); fi
	CARGO_TARGET_DIR=$(STATIC_DIR) $(CARGO) build --release --locked \
	  $(ARCHES:%=--target %-unknown-linux-musl)
	@for a in $(ARCHES); do \
	  f=$(call STATIC_BIN,$$a); \
	  kind=$$(file -b "$$f"); \
	  case "$$kind" in *"statically linked"*) ;; \
	    *) echo "$$f: not statically linked: $$kind" >&2; exit 1;; esac; \
	  size=$$(stat -c %s "$$f"); \
	  case $$a in x86_64) max=$(STATIC_MAX_BYTES_x86_64);; *) max=$(STATIC_MAX_BYTES_aarch64);; esac; \
	  if [ "$$size" -gt "$$max" ]; then \
	    echo "$$f: $$size bytes, over the $$max-byte budget" >&2; exit 1; fi; \
	  echo "$$f: $$size bytes, statically linked"; \
	done

# One tarball per arch: dist/rftp-VERSION-ARCH.tar.gz holding rftp, rftp.1,
# rftp-protocol.5, README.md and SHA256SUMS, plus dist/SHA256SUMS over the tarballs. Entries
# are sorted, owned by 0:0 and dated by the last commit, so the same commit
# gives the same tarball bytes.
dist: static
	@set -e; rm -rf dist; mkdir -p dist; \
	epoch=$$(git log -1 --format=%ct 2>/dev/null || date +%s); \
	for a in $(ARCHES); do \
	  name=rftp-$(VERSION)-$$a; d=dist/$$name; mkdir -p $$d; \
	  install -m 755 $(call STATIC_BIN,$$a) $$d/rftp; \
	  install -m 644 $(MANPAGES) README.md $$d/; \
	  (cd $$d && sha256sum rftp rftp.1 rftp-protocol.5 README.md > SHA256SUMS); \
	  tar -C dist --sort=name --owner=0 --group=0 --numeric-owner \
	    --mtime=@$$epoch -cf - $$name | gzip -9n > $$d.tar.gz; \
	  rm -rf $$d; \
	done; \
	(cd dist && sha256sum *.tar.gz > SHA256SUMS); \
	ls -l dist

clean:
	$(CARGO) clean
	rm -rf dist
