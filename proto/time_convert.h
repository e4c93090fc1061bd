#pragma once

// absl's time types to and from protobuf's well-known Timestamp and Duration, for every
// program that speaks the API (the server, the client library, the gate, anteroomctl).

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace anteroom {

// To the microsecond below (the API's times are never finer).
google::protobuf::Timestamp ToProtoTime(absl::Time t);
// To the nanosecond, seconds and nanos of the same sign.
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// As sent, unchecked: for answers from a server the program trusts. Check a caller's
// values first with IsValidTimestamp / IsValidDuration.
absl::Time FromProtoTime(const google::protobuf::Timestamp& t);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

// nanos in [0, 1e9).
bool IsValidTimestamp(const google::protobuf::Timestamp& t);
// nanos in (-1e9, 1e9), of the same sign as seconds.
bool IsValidDuration(const google::protobuf::Duration& d);

}  // namespace anteroom
