#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace anteroom::base {

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
