#include "client/gate/gate_options.h"

#include "wire/token.h"

namespace anteroom::gate {

absl::Status ValidateGateOptions(const GateOptions& o) {
  if (!o.default_room.empty()) {
    if (auto s = wire::ValidateRoomId(o.default_room, "room"); !s.ok()) return s;
  }
  if (o.cookie_same_site != "Lax" && o.cookie_same_site != "Strict" &&
      o.cookie_same_site != "None") {
    return absl::InvalidArgumentError("cookie_same_site must be Lax, Strict or None");
  }
  if (o.cookie_secure != "auto" && o.cookie_secure != "always" && o.cookie_secure != "never") {
    return absl::InvalidArgumentError("cookie_secure must be auto, always or never");
  }
  if (o.cookie_same_site == "None" && o.cookie_secure == "never") {
    return absl::InvalidArgumentError(
        "cookie_same_site=None needs Secure cookies (browsers drop the cookie otherwise)");
  }
  if (o.min_refresh < absl::Seconds(1) || o.max_refresh < o.min_refresh) {
    return absl::InvalidArgumentError("refresh bounds: need 1s <= min_refresh <= max_refresh");
  }
  if (o.retry_after < absl::Seconds(1))
    return absl::InvalidArgumentError("retry_after must be at least 1s");
  if (o.source_prefix_v4 < 8 || o.source_prefix_v4 > 32)
    return absl::InvalidArgumentError("source_prefix_v4 must be between 8 and 32");
  if (o.source_prefix_v6 < 16 || o.source_prefix_v6 > 128)
    return absl::InvalidArgumentError("source_prefix_v6 must be between 16 and 128");
  // The route the flags make is checked as a routes file's would be.
  auto single = RouteTable::Single(RouteDefaultsOf(o), o.default_room,
                                   o.catalogs ? *o.catalogs : *Catalogs::Builtin());
  return single.status();
}

RouteDefaults RouteDefaultsOf(const GateOptions& options) {
  RouteDefaults defaults;
  defaults.site_name = options.site_name;
  defaults.page = options.page;
  defaults.default_language = options.default_language;
  defaults.time_zone = options.time_zone;
  defaults.queued_status = options.queued_status;
  return defaults;
}

}  // namespace anteroom::gate
