#include "client/gate/http_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace anteroom::gate {
namespace {

// %XX decoded, '+' read as a space (a query's parameters, as forms send them). An invalid
// escape is kept as it is.
std::string FormDecoded(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    auto hex = [](char c, int* v) {
      if (!absl::ascii_isxdigit(c)) return false;
      *v = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      return true;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1], &hi) && hex(s[i + 2], &lo)) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers)
    if (absl::EqualsIgnoreCase(k, name)) return v;
  return "";
}

void ParseQuery(absl::string_view query,
                absl::flat_hash_map<std::string, std::string>* parameters) {
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string name = FormDecoded(pair.substr(0, eq));
    std::string value = eq == absl::string_view::npos ? "" : FormDecoded(pair.substr(eq + 1));
    parameters->emplace(std::move(name), std::move(value));
  }
}

}  // namespace anteroom::gate
