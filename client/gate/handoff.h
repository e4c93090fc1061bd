#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "client/gate/page_state.h"

namespace anteroom::gate {

// The handoff from /check to /wait (nginx carries it in X-Anteroom-Handoff, so the page is
// drawn without a second call to Anteroom): the page's state as a query string,
// "state=waiting&position=12&start=40&wait=300&wait_max=600&refresh=20[&unknown=1]
// [&event=<unix seconds>][&reason=<base64url>][&salt=…&challenge=…&signature=…&max=…]".
std::string EncodeHandoff(const PageState& page);
// nullopt for anything EncodeHandoff did not make (the room is not in it).
std::optional<PageState> DecodeHandoff(absl::string_view text);

}  // namespace anteroom::gate
