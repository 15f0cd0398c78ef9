# scopegate: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
# Every target installs what it needs first and can be run again at any time.
SHELL := bash

.PHONY: help setup build test demo serve bench clean

help:
	@echo "make demo    set up, build the package, and serve the edge worker (workerd) and admin page on 127.0.0.1"
	@echo "make test    set up, build, and run every test (Rust, clippy, tsc, Node, workerd, Chromium)"
	@echo "make build   set up and build the npm package in pkg/ (prints the .wasm size)"
	@echo "make setup   install the toolchains and tools only"
	@echo "make bench   build pkg/, then print the benchmark table in Node (10k, 100k, 1M tokens; a few minutes; not a test)"
	@echo "make clean   remove pkg/, the wasm builds and the demo's files"

setup:
	bash scripts/setup.sh

build:
	bash scripts/build.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

# Figures, not a test (benches/bench.mjs): builds, loads, one table of decisions against
# hand-written JS and Cedar, cold start, memory over many decisions, the issue 8 targets.
# The size budget is make test's gate; the figures are printed either way.
bench:
	SCOPEGATE_SIZE_BUDGET=warn bash scripts/build.sh
	node --max-old-space-size=8192 --expose-gc --allow-natives-syntax benches/bench.mjs

clean:
	rm -rf pkg target/wasm target/wasm-edge target/wasm-debian target/wasm-debian-edge target/pkg-staging .demo
