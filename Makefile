# Anteroom: `make run` starts a server with a demo room; `make test` runs every check CI runs.
JOBS ?= 2
DATA_DIR ?= ./data
CTEST = ctest --output-on-failure -j$(JOBS)

FUZZ_SECONDS ?= 20
SOAK_SECONDS ?= 600

BENCH_OUT ?= build/bench
# Seconds per row of the methods table: 3 keeps make bench under 10 minutes from a fresh clone.
BENCH_SECONDS ?= 3

.PHONY: all deps build binaries run demo bench bench-front test test-default test-asan test-tsan fuzz soak lint clean

all: build

deps:
	@.ci/install-deps

build: deps
	@cmake --preset default >/dev/null
	@cmake --build build -j$(JOBS)

# Only what `make run` and `make demo` start: anteroomd, anteroomctl and anteroom-gate.
binaries: deps
	@cmake --preset default >/dev/null
	@cmake --build build -j$(JOBS) --target anteroomd anteroomctl anteroom-gate

# Starts anteroomd in the foreground with its defaults (gateway 127.0.0.1:50051, admin
# 127.0.0.1:50052, metrics http://127.0.0.1:9464/metrics, data in ./data) and a demo room.
run: binaries
	./build/server/anteroomd --data_dir=$(DATA_DIR) --create_data_dir --rooms=deploy/rooms.demo.textproto

# The waiting room in front of a demo site: anteroomd, anteroom-gate, nginx and a demo origin
# on localhost, a room of 1 slot. Open the printed URL in two browsers. PORT=8080 by default.
demo: binaries
	@deploy/nginx/demo.sh

# Every test, in legs (docs/testing.md says what each checks and how long it takes): lint;
# the release build (gcc) and the tests labelled `once`; clang with AddressSanitizer and
# UBSan, lock annotations enforced (-Wthread-safety -Werror), every other test, clang-tidy
# and the fuzzers; ThreadSanitizer and the threaded unit tests. Each leg's time goes to
# build-times.txt. With ccache (installed by deps) a machine that has built once before
# compiles little again.
test:
	@rm -f build-times.txt
	@.ci/timed lint $(MAKE) --no-print-directory lint
	@.ci/timed default $(MAKE) --no-print-directory test-default
	@.ci/timed asan $(MAKE) --no-print-directory test-asan
	@.ci/timed tsan $(MAKE) --no-print-directory test-tsan
	@awk '{ s += $$2; printf "  %-8s %3d min %2d s  %s\n", $$1, $$2 / 60, $$2 % 60, $$3 } \
	  END { printf "make test: %d min %d s\n", s / 60, s % 60 }' build-times.txt

lint:
	@.ci/lint

# The tests labelled `once` (layout in Chromium, the benchmark's smoke runs, `make demo`'s
# script, configuration files: what the sanitizers add nothing to) on the release build.
test-default: deps
	@cmake --preset default >/dev/null
	@cmake --build build -j$(JOBS) --target once_tests
	cd build && $(CTEST) -L once

# Every test but `once` and `soak`, unit and integration, on binaries built with ASan and
# UBSan, where they check the most.
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@# clang-tidy runs beside the tests at the lowest priority, on the CPU they leave idle
	@# (they wait on processes and sockets much of the time); its verdict is awaited.
	@(JOBS=$(JOBS) nice -n 19 .ci/tidy build-asan > build-asan/tidy.out 2>&1; echo $$? > build-asan/tidy.status) & \
	  tidy=$$!; \
	  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) -LE 'soak|once'); \
	  tests=$$?; wait $$tidy; cat build-asan/tidy.out; \
	  [ $$tests -eq 0 ] && [ "$$(cat build-asan/tidy.status)" = 0 ]
	@$(MAKE) --no-print-directory fuzz

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target threaded_unit_tests
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/.ci/tsan.supp halt_on_error=1" \
	  $(CTEST) -L threads

# libFuzzer on the room core (tests/core/room_fuzz.cc), on the service's requests
# (tests/service/service_fuzz.cc) and on the gate's routing of request paths
# (tests/client/gate/routes_fuzz.cc), each from its checked-in corpus, in the ASan build
# (clang; every library instrumented for coverage); new inputs go to build-asan/fuzz-corpus-*
# (copy interesting ones to the test's fuzz_corpus/).
fuzz:
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j$(JOBS) --target room_fuzz service_fuzz routes_fuzz
	@for f in core/room_fuzz service/service_fuzz client/gate/routes_fuzz; do \
	  name=$$(basename $$f); mkdir -p build-asan/fuzz-corpus-$$name; \
	  ./build-asan/tests/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build-asan/fuzz-corpus-$$name tests/$$(dirname $$f)/fuzz_corpus > build-asan/$$name.log 2>&1 \
	    || { tail -n 40 build-asan/$$name.log; echo "fuzz: $$name failed (input saved as crash-*)"; exit 1; }; \
	  echo "$$name: $$(grep -E '^Done' build-asan/$$name.log), $$(grep -oE 'cov: [0-9]+' build-asan/$$name.log | tail -n 1)"; \
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
	@$(MAKE) --no-print-directory bench-front

# The front door through real nginx: nginx alone, admitted and waiting visitors through the
# gate, and the nginx + Lua + Redis peer, at 16, 64 and 1,024 connections (tests/bench/front.sh;
# SECONDS_PER_ROW=10). The table goes to $(BENCH_OUT)/front.md.
bench-front: build
	@SECONDS_PER_ROW=$(or $(SECONDS_PER_ROW),10) tests/bench/front.sh $(BENCH_OUT)

clean:
	rm -rf build build-asan build-tsan build-clang build-times.txt

# Ten minutes (SOAK_SECONDS) of mixed load, bad input and a flood on the real binaries behind
# nginx; prints memory, calls and errors by code (tests/integration/soak_test.cc). Not part
# of `make test`.
soak: build
	cd build && ANTEROOM_SOAK_SECONDS=$(SOAK_SECONDS) ctest --output-on-failure --verbose -L soak
