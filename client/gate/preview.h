#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/gate/catalog.h"
#include "client/gate/routes.h"

namespace anteroom::gate {

// One page as a visitor would see it, drawn from sample figures (anteroom-gate --preview).
struct PreviewPage {
  std::string name;  // "<room>-<state>-<language>.html"
  std::string html;
};

// The pages `spec` asks for: "ROOM/STATE/LANGUAGE", where each part may be "*" (every room
// of `routes`, every state of PageState, every language of `catalogs`), and "all" is
// "*/*/*". A room's page is its route's: template, site name, time zone. INVALID_ARGUMENT
// naming what is unknown.
absl::StatusOr<std::vector<PreviewPage>> RenderPreviews(const std::string& spec,
                                                        const RouteTable& routes,
                                                        const Catalogs& catalogs, absl::Time now);

}  // namespace anteroom::gate
