// libFuzzer target for the service: arbitrary bytes as requests to a real server over gRPC
// (see ServiceFuzzHarness); a call answered with anything but a canonical, explained error,
// or a server that stops answering, aborts. Built by `make fuzz` (clang -fsanitize=fuzzer);
// its corpus in tests/service/fuzz_corpus/ is replayed by service_test in every `make test`.

#include <cstdio>
#include <cstdlib>

#include "tests/service/service_fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* harness = new anteroom::service::ServiceFuzzHarness();
  const std::string broke = harness->Run(data, size);
  if (!broke.empty()) {
    std::fprintf(stderr, "service fuzz: %s\n", broke.c_str());
    std::abort();
  }
  return 0;
}
