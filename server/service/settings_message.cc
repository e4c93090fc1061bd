#include "server/service/settings_message.h"

namespace anteroom::service {

absl::StatusOr<absl::Duration> SettingsDuration(const google::protobuf::Duration& d,
                                                absl::string_view field) {
  if (!IsValidDuration(d)) {
    return absl::InvalidArgumentError(absl::StrCat("settings.", field, " is not a valid duration"));
  }
  return FromProtoDuration(d);
}

// The numbering of anteroom.v1.QueueingMethod, which RoomSettingsRecord keeps.
std::optional<core::QueueingMethod> QueueingMethodFromNumber(int n) {
  switch (n) {
    case 0:  // unset
    case 1:
      return core::QueueingMethod::kFifo;
    case 2:
      return core::QueueingMethod::kRandom;
    case 3:
      return core::QueueingMethod::kPassthrough;
    case 4:
      return core::QueueingMethod::kReject;
    default:
      return std::nullopt;
  }
}

int QueueingMethodNumber(core::QueueingMethod method) {
  switch (method) {
    case core::QueueingMethod::kFifo:
      return 1;
    case core::QueueingMethod::kRandom:
      return 2;
    case core::QueueingMethod::kPassthrough:
      return 3;
    case core::QueueingMethod::kReject:
      return 4;
  }
  return 1;
}

std::optional<core::SourceLimitAction> SourceLimitActionFromNumber(int n) {
  switch (n) {
    case 0:  // unset
    case 1:
      return core::SourceLimitAction::kReject;
    case 2:
      return core::SourceLimitAction::kShadow;
    default:
      return std::nullopt;
  }
}

int SourceLimitActionNumber(core::SourceLimitAction action) {
  return action == core::SourceLimitAction::kShadow ? 2 : 1;
}

}  // namespace anteroom::service
