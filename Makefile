# Anteroom: `make run` starts a server with a demo room; `make test` runs every check CI runs.
JOBS ?= 2
DATA_DIR ?= ./data
CTEST = ctest --output-on-failure -j$(JOBS)

FUZZ_SECONDS ?= 20
SOAK_SECONDS ?= 600

BENCH_OUT ?= build/bench
# Seconds per row of the methods table: 3 keeps make bench under 10 minutes from a fresh clone.
BENCH_SECONDS ?= 3

.PHONY: all deps build run demo bench test test-default test-asan test-tsan test-clang fuzz soak lint tidy clean

all: build

deps:
	@.ci/install-deps

build: deps
	@cmake --preset default >/dev/null
	@cmake --build build -j$(JOBS)

# Starts anteroomd in the foreground with its defaults (gateway 127.0.0.1:50051, admin
# 127.0.0.1:50052, metrics http://127.0.0.1:9464/metrics, data in ./data) and a demo room.
run: build
	./build/server/anteroomd --data_dir=$(DATA_DIR) --create_data_dir --rooms=deploy/rooms.demo.textproto

# The waiting room in front of a demo site: anteroomd, anteroom-gate, nginx and a demo origin
# on localhost, a room of 1 slot. Open the printed URL in two browsers. PORT=8080 by default.
demo: build
	@deploy/nginx/demo.sh

# Every test: the default build, ASan+UBSan, TSan, clang's lock-annotation check, and lint.
test: lint test-default test-asan test-tsan test-clang

lint:
	@.ci/lint

test-default: build
	cd build && $(CTEST) -LE soak

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) -LE soak

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target base_test wire_test core_test service_test storage_test client_test
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/.ci/tsan.supp halt_on_error=1" \
	  $(CTEST) -L unit

# Compiles everything with clang -Wthread-safety -Werror (a lock annotation that does not
# hold fails the build), runs clang-tidy over our sources (.ci/tidy), then fuzzes the room
# core for $(FUZZ_SECONDS) s.
test-clang: deps
	@cmake --preset clang >/dev/null
	@cmake --build build-clang -j$(JOBS)
	@JOBS=$(JOBS) .ci/tidy build-clang
	@$(MAKE) --no-print-directory fuzz

# libFuzzer on the room core (tests/core/room_fuzz.cc), on the service's requests
# (tests/service/service_fuzz.cc) and on the gate's routing of request paths
# (tests/client/routes_fuzz.cc), each from its checked-in corpus; new inputs go to
# build-clang/fuzz-corpus-* (copy interesting ones to the test's fuzz_corpus/).
fuzz:
	@cmake --preset clang >/dev/null
	@cmake --build build-clang -j$(JOBS) --target room_fuzz service_fuzz routes_fuzz
	@for f in core/room_fuzz service/service_fuzz client/routes_fuzz; do \
	  name=$$(basename $$f); mkdir -p build-clang/fuzz-corpus-$$name; \
	  ./build-clang/tests/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build-clang/fuzz-corpus-$$name tests/$$(dirname $$f)/fuzz_corpus > build-clang/$$name.log 2>&1 \
	    || { tail -n 40 build-clang/$$name.log; echo "fuzz: $$name failed (input saved as crash-*)"; exit 1; }; \
	  echo "$$name: $$(grep -E '^Done' build-clang/$$name.log)"; \
	done

# The benchmark (docs/benchmarks.md): each gateway method against anteroomd, gRPC alone and
# the Redis peer in the same run, then the noon surge; prints one table and writes the plot
# docs/benchmarks.png. About 7 minutes on 2 cores once built. The rows: $(BENCH_OUT)/methods.md.
bench: deps
	@cmake --preset default >/dev/null
	@cmake --build build -j$(JOBS) --target anteroom-bench
	@mkdir -p $(BENCH_OUT)
	./build/tests/bench/anteroom-bench methods --seconds=$(BENCH_SECONDS) --table_out=$(BENCH_OUT)/methods.md \
	  --plot_data=$(BENCH_OUT)/methods.tsv > $(BENCH_OUT)/methods.log
	./build/tests/bench/anteroom-bench surge > $(BENCH_OUT)/surge.log
	@mkdir -p docs
	@gnuplot -e "data='$(BENCH_OUT)/methods.tsv'; out='docs/benchmarks.png'" tests/bench/plot.gp
	@cat $(BENCH_OUT)/methods.md
	@grep -v '^{' $(BENCH_OUT)/surge.log
	@echo "plot: docs/benchmarks.png; JSON lines: $(BENCH_OUT)/methods.log, $(BENCH_OUT)/surge.log"

clean:
	rm -rf build build-asan build-tsan build-clang

# Ten minutes (SOAK_SECONDS) of mixed load, bad input and a flood on the real binaries behind
# nginx; prints memory, calls and errors by code (tests/integration/soak_test.cc). Not part
# of `make test`.
soak: build
	cd build && ANTEROOM_SOAK_SECONDS=$(SOAK_SECONDS) ctest --output-on-failure --verbose -L soak
