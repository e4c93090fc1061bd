// libFuzzer target for the gate's routing: arbitrary bytes as a request's path; a path the
// gate routes by one room while a server behind it would serve it by another aborts (see
// CheckRouting). Built by `make fuzz` (clang -fsanitize=fuzzer); its corpus in
// tests/client/fuzz_corpus/ is replayed by client_test in every `make test`.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/client/gate/routes_fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string broke =
      anteroom::gate::CheckRouting(std::string(reinterpret_cast<const char*>(data), size));
  if (!broke.empty()) {
    std::fprintf(stderr, "routes fuzz: %s\n", broke.c_str());
    std::abort();
  }
  return 0;
}
