#include "server/base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace anteroom::base {

std::string EncodeTokenBits(const uint8_t bytes[16]) {
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), 16));
}

std::string SecureTokenSource::NewTokenBits() {
  uint8_t bytes[16];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without a CSPRNG tokens could be guessed; refusing to run is the only safe answer.
      std::abort();
    }
    filled += static_cast<size_t>(n);
  }
  return EncodeTokenBits(bytes);
}

}  // namespace anteroom::base
