#include "wire/entry_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "wire/token.h"

namespace anteroom::wire {
namespace {

constexpr absl::string_view kPrefix = "e";

// What the tag covers: everything before it, under a purpose of its own.
std::string SignedPart(absl::string_view body) { return absl::StrCat("entry:", body); }

}  // namespace

absl::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kIdentity:
      return "identity";
    case EntryKind::kPriority:
      return "priority";
    case EntryKind::kBypass:
      return "bypass";
  }
  return "identity";
}

std::optional<EntryKind> EntryKindFromName(absl::string_view name) {
  for (EntryKind kind : {EntryKind::kIdentity, EntryKind::kPriority, EntryKind::kBypass}) {
    if (EntryKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> SignEntryToken(const Signer& keys, const EntryToken& token) {
  if (absl::Status s = ValidateRoomId(token.room, "room"); !s.ok()) return s;
  if (token.subject.size() > kMaxEntrySubjectBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject must be at most ", kMaxEntrySubjectBytes, " bytes"));
  }
  if (token.kind != EntryKind::kPriority && token.subject.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(token.kind == EntryKind::kIdentity ? "an " : "a ", EntryKindName(token.kind),
                     " token needs a subject"));
  }
  const std::string body = absl::StrCat(kPrefix, ".", token.room, ".", EntryKindName(token.kind),
                                        ".", absl::WebSafeBase64Escape(token.subject), ".",
                                        absl::ToUnixSeconds(token.expires));
  return absl::StrCat(body, ".", keys.Sign(SignedPart(body)));
}

absl::StatusOr<EntryToken> VerifyEntryToken(const Signer& keys, absl::string_view text,
                                            absl::string_view room, absl::Time now,
                                            absl::string_view field) {
  auto refused = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, " ", why));
  };
  if (text.size() > kMaxEntryTokenBytes) {
    return refused(absl::StrCat("must be at most ", kMaxEntryTokenBytes, " bytes"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  EntryToken token;
  int64_t expires = 0;
  std::optional<EntryKind> kind;
  if (parts.size() != 6 || parts[0] != kPrefix || !(kind = EntryKindFromName(parts[2])) ||
      !absl::WebSafeBase64Unescape(parts[3], &token.subject) ||
      token.subject.size() > kMaxEntrySubjectBytes ||
      (*kind != EntryKind::kPriority && token.subject.empty()) ||
      !absl::SimpleAtoi(parts[4], &expires)) {
    return refused("is not a valid entry token");
  }
  const absl::string_view body = text.substr(0, text.size() - parts[5].size() - 1);
  if (!keys.Verify(SignedPart(body), parts[5])) {
    return refused("is not signed by this server's entry keys");
  }
  // Only checked once signed: what a forger wrote there means nothing.
  if (parts[1] != room) return refused(absl::StrCat("is for room \"", parts[1], "\""));
  token.room = std::string(parts[1]);
  token.kind = *kind;
  token.expires = absl::FromUnixSeconds(expires);
  if (token.expires <= now) {
    return refused(absl::StrCat(
        "expired at ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", token.expires, absl::UTCTimeZone())));
  }
  return token;
}

}  // namespace anteroom::wire
