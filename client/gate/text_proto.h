#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace anteroom::gate {

// Parses `text` (protobuf text format, from the file named `file`) into `message`, noting in
// `locations` (when not null) the line of each field, for errors about its values.
// INVALID_ARGUMENT "<file> line L:C: <what>" for the first error in the text.
absl::Status ParseTextProto(absl::string_view file, absl::string_view text,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations);

}  // namespace anteroom::gate
