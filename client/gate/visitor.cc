#include "client/gate/visitor.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace anteroom::gate {
namespace {

// A newcomer's visitor id, and the signed cookie value that carries it: "v.<id>.<tag>".
constexpr absl::string_view kVisitorPrefix = "v.";

std::string VisitorMessage(absl::string_view room, absl::string_view id) {
  return absl::StrCat("visitor:", room, ":", id);
}

}  // namespace

std::string NewVisitorId(base::RandomSource* random) {
  uint8_t bytes[16];
  random->Fill(bytes, sizeof(bytes));
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string SignedVisitorCookie(const wire::Signer& signer, absl::string_view room,
                                absl::string_view id) {
  return absl::StrCat(kVisitorPrefix, id, ".", signer.Sign(VisitorMessage(room, id)));
}

std::string SignedVisitorId(const wire::Signer& signer, absl::string_view room,
                            absl::string_view value) {
  if (!absl::ConsumePrefix(&value, kVisitorPrefix)) return "";
  const size_t dot = value.find('.');
  if (dot == absl::string_view::npos) return "";
  const absl::string_view id = value.substr(0, dot);
  if (id.empty() || !signer.Verify(VisitorMessage(room, id), value.substr(dot + 1))) return "";
  return std::string(id);
}

std::string NetworkSource(const wire::Signer& signer, const std::string& address, int v4_bits,
                          int v6_bits) {
  uint8_t bytes[16] = {};
  int bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    bits = v4_bits;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    static constexpr uint8_t kMappedV4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMappedV4, sizeof(kMappedV4)) == 0) {  // ::ffff:a.b.c.d
      std::memmove(bytes, bytes + 12, 4);
      std::memset(bytes + 4, 0, 12);
      bits = v4_bits;
    } else {
      bits = v6_bits;
    }
  } else {
    return "";  // no address (or not one): no per-source limit applies
  }
  // The network: the first `bits` bits, the rest zero.
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return signer.Sign(absl::StrCat(
      "source:", bits, ":",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), 16))));
}

std::optional<v1::Solution> ParseSolution(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  v1::Solution solution;
  uint64_t number = 0;
  // Fields as Anteroom bounds them (a longer one could only be refused).
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[3], &number) ||
      std::any_of(parts.begin(), parts.begin() + 3,
                  [](const std::string& p) { return p.size() > 128; })) {
    return std::nullopt;
  }
  solution.set_algorithm("SHA-256");
  solution.set_salt(std::move(parts[0]));
  solution.set_challenge(std::move(parts[1]));
  solution.set_signature(std::move(parts[2]));
  solution.set_number(number);
  return solution;
}

std::shared_ptr<const wire::Signer> RandomSigner(base::RandomSource* random) {
  const std::string key = random->Hex(32);
  return std::make_shared<const wire::Signer>(*wire::Signer::FromKeys({key}));
}

}  // namespace anteroom::gate
