#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace anteroom::gate {

// The routing property under fuzzing: for any request path, the route the gate picks (when it
// does not refuse the path) is the route each kind of server behind it would serve the path
// by. The servers are modelled here, independently of client/gate/path_readings.cc: nginx
// (decodes once, then resolves dot segments and merges slashes), Tomcat (cuts ";params",
// then decodes each segment), a raw matcher such as Express or Envoy (no decoding, no dot
// segments resolved), IIS (decodes twice, '\' is '/'), Go (does not cut a '#', decodes
// once, path.Clean) and Windows names (trailing dots and spaces, NTFS streams, %uXXXX).
// Routes: /tickets, /tickets/vip, /shop, /티켓 and the rest of the site suspended.
//
// Returns "" when the property holds, else what broke it.
std::string CheckRouting(absl::string_view path);

}  // namespace anteroom::gate
