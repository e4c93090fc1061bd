// libFuzzer target for the room core: the input drives RoomHarness (first byte: the room's
// settings; then pairs of operation and argument); any invariant violation aborts.
// Built by `make fuzz` (clang -fsanitize=fuzzer); its corpus in tests/core/fuzz_corpus/ is
// replayed by room_property_test in every `make test`.

#include <cstdio>
#include <cstdlib>

#include "tests/core/room_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  anteroom::core::RoomHarness harness(data[0], [](const std::string& what) {
    std::fprintf(stderr, "invariant violated: %s\n", what.c_str());
    std::abort();
  });
  for (size_t i = 1; i + 1 < size && i < 4000; i += 2) harness.Step(data[i], data[i + 1]);
  harness.CheckRestart();
  return 0;
}
