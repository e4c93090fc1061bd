// libFuzzer target for the service: arbitrary bytes as requests to a real server over gRPC
// (see ServiceFuzzHarness); a call answered with anything but a canonical, explained error,
// or a server that stops answering, aborts. Built by `make fuzz` (clang -fsanitize=fuzzer);
// its corpus in tests/service/fuzz_corpus/ is replayed by service_test in every `make test`.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "tests/service/service_fuzz_harness.h"

namespace {

// The harness lives until the process exits (libFuzzer never returns to destroy it), so its
// private directory is removed at exit instead.
anteroom::service::ServiceFuzzHarness* Harness() {
  static auto* harness = [] {
    auto* h = new anteroom::service::ServiceFuzzHarness();
    static const std::string dir = h->backup_dir();
    std::atexit([] {
      std::error_code error;
      std::filesystem::remove_all(dir, error);
    });
    return h;
  }();
  return harness;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  anteroom::service::ServiceFuzzHarness* harness = Harness();
  const std::string broke = harness->Run(data, size);
  if (!broke.empty()) {
    std::fprintf(stderr, "service fuzz: %s\n", broke.c_str());
    std::abort();
  }
  return 0;
}
