# rftp — build, test, lint, install.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
BIN = target/release/rftp

.PHONY: all build test lint install uninstall bench clean

all: build

build:
	$(CARGO) build --release

# Everything CI checks: formatting, lints, unit and integration tests.
test:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test

lint:
	mandoc -Tlint -W warning man/rftp.1

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/rftp
	install -m 644 man/rftp.1 $(DESTDIR)$(PREFIX)/share/man/man1/rftp.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rftp $(DESTDIR)$(PREFIX)/share/man/man1/rftp.1

bench: build
	bash bench/run

clean:
	$(CARGO) clean
