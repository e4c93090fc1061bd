#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"

namespace anteroom::base {

std::string RandomSource::Hex(size_t bytes) {
  std::vector<char> raw(bytes);
  Fill(raw.data(), raw.size());
  return absl::BytesToHexString(absl::string_view(raw.data(), raw.size()));
}

void SecureRandom::Fill(void* buffer, size_t size) {
  auto* bytes = static_cast<uint8_t*>(buffer);
  size_t filled = 0;
  while (filled < size) {
    const ssize_t n = getrandom(bytes + filled, size - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without a CSPRNG tokens could be guessed and shuffles predicted: refusing to run is
      // the only safe answer.
      std::abort();
    }
    filled += static_cast<size_t>(n);
  }
}

}  // namespace anteroom::base
