#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace anteroom::gate {

// An HTTP request as the gate's handlers see it: what the client sent, not decoded (but for
// the query's parameters).
struct HttpRequest {
  std::string method = "GET";
  // The request target's path, without the query, as sent ("/check", "/wait").
  std::string path;
  // The query's parameters, decoded; the first of a repeated name.
  absl::flat_hash_map<std::string, std::string> query;
  // Lower-case names; values as sent; the first of a repeated name.
  absl::flat_hash_map<std::string, std::string> headers;
  // The peer's address ("127.0.0.1"); empty when unknown.
  std::string peer;

  std::string Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(absl::string_view name) const;  // first with that name (any case)
};

// The query string's parameters ("a=1&b=x%20y" → a: "1", b: "x y"), decoded as a form's
// ('+' is a space); the first of a repeated name wins.
void ParseQuery(absl::string_view query, absl::flat_hash_map<std::string, std::string>* parameters);

}  // namespace anteroom::gate
