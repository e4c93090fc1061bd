#include "server/service/settings_message.h"

namespace anteroom::service {

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out.set_seconds(nanos / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return out;
}

absl::StatusOr<absl::Duration> SettingsDuration(const google::protobuf::Duration& d,
                                                absl::string_view field) {
  if (d.nanos() <= -1'000'000'000 || d.nanos() >= 1'000'000'000 ||
      (d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("settings.", field, " is not a valid duration"));
  }
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
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
