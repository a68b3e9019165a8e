# Thin convenience wrapper around CMake (the real build lives in CMakeLists.txt).
#
#   make run      install missing deps, build, serve www/ at https://localhost:8443/
#   make test     install missing deps (incl. test deps), build, run ctest; list skipped
#                 tests with their reasons (under CI=true a skipped test fails the run)
#   make build    configure + build into $(BUILD_DIR)
#   make deps     install missing build/run packages (Debian 12, via apt-get)
#   make package  build the Debian package (ktlsd_VERSION_amd64.deb in $(BUILD_DIR))
#   make bench    benchmark ktlsd against nginx (bench/run; BENCH_FLAGS=...)
#   make fuzz     libFuzzer on the request parser and the config parser (FUZZ_SECONDS=60 each)
#   make format   clang-format the C sources in place
#   make clean    remove $(BUILD_DIR)
#
# Overridable: BUILD_DIR, BUILD_TYPE, CMAKE_FLAGS, CTEST_FLAGS, JOBS,
# KTLSD_SKIP_DEPS=1 (skip the apt step), e.g. `make test BUILD_TYPE=Debug BUILD_DIR=build-debug`.

BUILD_DIR   ?= build
BUILD_TYPE  ?= Release
CMAKE       ?= cmake
CTEST       ?= ctest
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
JOBS        ?= $(shell nproc 2>/dev/null || echo 4)
CLANG_FORMAT ?= clang-format
BENCH_FLAGS ?=

# `make run` uses conf/dev.conf, whose paths are relative to the repository root
# and fixed: the binary is taken from $(BUILD_DIR), but the certificate and the
# pid file always live under build/ (see conf/dev.conf).
DEV_CONF     := conf/dev.conf
DEV_CERT_DIR := build/dev-cert

FORMAT_FILES = $(wildcard src/*.c src/*.h tests/unit/*.c)

# deps must finish before build starts, even under `make -j`.
.NOTPARALLEL:

.PHONY: all deps deps-test build run test test-sanitize fuzz package clean format check-format bench help

all: build

help:
	@sed -n '3,15s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build:
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

run: deps build
	@scripts/dev-cert.sh $(DEV_CERT_DIR)
	@echo "ktlsd: serving www/ at https://localhost:8443/ (Ctrl-C to stop)"
	@echo "ktlsd: try: curl --cacert $(DEV_CERT_DIR)/dev.crt https://localhost:8443/"
	exec ./$(BUILD_DIR)/ktlsd -c $(DEV_CONF)

# ctest counts a skipped test (exit 77) as passed; test-summary.py lists them
# and, under CI, fails the run (lib.sh's skip() already fails under CI).
test: deps-test build
	@rm -f $(BUILD_DIR)/Testing/junit.xml
	@st=0; $(CTEST) --test-dir $(BUILD_DIR) --output-on-failure \
	    --output-junit Testing/junit.xml $(CTEST_FLAGS) || st=$$?; \
	scripts/test-summary.py $(BUILD_DIR)/Testing/junit.xml || st=1; \
	exit $$st

# The suite again on an ASan+UBSan build (Debug, build-asan/). Not run there:
# daemon_stop (it SIGSEGVs a worker on purpose, which ASan reports as its
# own), package (a .deb of a sanitized binary means nothing), the UML tests
# (the kernel path is the same code; ASan in UML is slow) and deps.
SANITIZE_EXCLUDE ?= daemon_stop|package|uml_|integration_deps
test-sanitize: deps-test
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKTLSD_SANITIZE=address,undefined $(CMAKE_FLAGS)
	$(CMAKE) --build build-asan -j $(JOBS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=0 \
	  $(CTEST) --test-dir build-asan --output-on-failure -E '$(SANITIZE_EXCLUDE)' $(CTEST_FLAGS)

fuzz: deps
	CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DKTLSD_FUZZ=ON
	$(CMAKE) --build build-fuzz -j $(JOBS) --target fuzz_request fuzz_config
	for t in request config; do mkdir -p build-fuzz/corpus-$$t && \
	  build-fuzz/tests/fuzz_$$t -max_total_time=$${FUZZ_SECONDS:-60} -max_len=4096 \
	    build-fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; done

package: deps-test build
	cd $(BUILD_DIR) && cpack -G DEB --config CPackConfig.cmake

bench:
	@if [ ! -x bench/run ]; then \
		echo "make bench: bench/run does not exist (no benchmark in this tree yet)" >&2; \
		exit 1; \
	fi
	@scripts/install-deps.sh
	$(MAKE) build BUILD_TYPE=Release
	KTLSD=$(CURDIR)/$(BUILD_DIR)/ktlsd bench/run $(BENCH_FLAGS)

format:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "make format: $(CLANG_FORMAT) not found (apt-get install clang-format)" >&2; exit 1; }
	$(if $(FORMAT_FILES),$(CLANG_FORMAT) -i $(FORMAT_FILES),@echo "make format: no source files")

check-format:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "make check-format: $(CLANG_FORMAT) not found (apt-get install clang-format)" >&2; exit 1; }
	$(if $(FORMAT_FILES),$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES),@echo "make check-format: no source files")

clean:
	rm -rf $(BUILD_DIR)
