# urna — the two commands a fresh machine needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
CONFIG ?= config/urna.toml

.PHONY: run test test-rust conformance bench bench-read bench-bulk bench-download bench-backup bench-subentro docs certificates lint fmt build fuzz-short fuzz-long setup-run setup-test

## System packages (scripts/setup.sh): what the build needs, and what the tests and peers need too.
setup-run:
	@bash scripts/setup.sh run
setup-test:
	@bash scripts/setup.sh test

## Build (release) and start the server with the demo world on https://127.0.0.1:8443 (mTLS).
run: setup-run
	$(CARGO) run --release -p urna-cli --bin urna -- --config $(CONFIG) serve

build:
	$(CARGO) build --workspace --all-targets

## All tests: SQLite always; PostgreSQL when it answers (URNA_REQUIRE_PG=1 makes it mandatory).
test: setup-test
	@$(MAKE) --no-print-directory test-rust conformance

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

## Conformance suite (Python + zeep) against a freshly started release-less debug server.
conformance:
	bash conformance-tests/run-local.sh

## Load benchmark: release build, 32 mTLS keep-alive connections, 5011 updates.
bench:
	bash scripts/bench.sh

## Read benchmark: 3002, 3008 and summaries of one comune in a 50,000- and an N-elector (default 5,000,000) PostgreSQL store, with the ratios.
bench-read:
	bash scripts/bench-read.sh $(N)

## Bulk-read benchmark: the export of a 2,000,000-elector comune in a 5,000,000-elector PostgreSQL store and of a 100,000-elector one alone: records/s, their ratio, peak RSS.
bench-bulk:
	bash scripts/bench-bulk.sh $(N)

## Download benchmark: 7002 of a 16 MB and a 512 MB extraction file (or SIZES=a,b), base64 and MTOM: MB/s, server CPU per MB and peak RSS, with the ratios.
bench-download:
	bash scripts/bench-download.sh $(SIZES)

## Backup benchmark: urna backup and urna restore (checked) of a comune of N electors (default 2,000,000) on PostgreSQL and SQLite: times and size.
bench-backup:
	bash scripts/bench-backup.sh $(N)

## Takeover benchmark: N electors (default 2,000,000) and N/10 into SQLite and PostgreSQL, with COPY for comparison.
bench-subentro:
	bash scripts/bench-subentro.sh $(N)

## Regenerate generated documentation (docs/errors.md).
docs:
	URNA_UPDATE_DOCS=1 $(CARGO) test -q -p urna-domain docs_errors_md_is_current

## Example electoral certificates (urna-cert): sealed PDFs in OUT (default a temporary directory), first-page PNGs in docs/certificates/.
certificates:
	bash scripts/render-certificates.sh $(OUT)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Short fuzzing run (nightly + cargo-fuzz): pre-scan, envelope/gate, WS-Security verifier. FUZZ_SECS per target.
## Each target starts from its committed corpus (fuzz/corpus/<target>) and the hand-written seeds (fuzz/seeds: the CPU bombs).
FUZZ_SECS ?= 15
fuzz-short:
	set -o pipefail; cd fuzz && for t in prescan envelope verifier; do \
		mkdir -p corpus/$$t; \
		cargo +nightly fuzz run -O $$t corpus/$$t seeds -- -max_total_time=$(FUZZ_SECS) -print_final_stats=0 2>&1 | tail -n 2 || exit 1; \
	done
