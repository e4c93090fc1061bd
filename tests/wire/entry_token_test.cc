#include "wire/entry_token.h"

#include "gtest/gtest.h"

namespace anteroom::wire {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Signer Keys(std::vector<std::string> keys) { return *Signer::FromKeys(std::move(keys)); }

std::string Token(const Signer& keys, EntryKind kind, const std::string& subject,
                  const std::string& room = "shop", absl::Duration ttl = absl::Hours(1)) {
  return *SignEntryToken(keys, EntryToken{room, kind, subject, kNow + ttl});
}

TEST(EntryTokenTest, ASignedTokenVerifiesForItsRoomUntilItExpires) {
  const Signer keys = Keys({std::string(32, 'a')});
  const std::string text = Token(keys, EntryKind::kIdentity, "patient:12345");
  EXPECT_TRUE(text.starts_with("e.shop.identity.")) << text;
  absl::StatusOr<EntryToken> token = VerifyEntryToken(keys, text, "shop", kNow, "entry_token");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->kind, EntryKind::kIdentity);
  EXPECT_EQ(token->subject, "patient:12345");
  EXPECT_EQ(token->expires, kNow + absl::Hours(1));

  auto why = [&](absl::string_view t, absl::string_view room, absl::Time now) {
    absl::Status s = VerifyEntryToken(keys, t, room, now, "entry_token").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    return std::string(s.message());
  };
  EXPECT_EQ(why(text, "hall", kNow), "entry_token is for room \"shop\"");
  EXPECT_EQ(why(text, "shop", kNow + absl::Hours(1)),
            "entry_token expired at 2027-01-15T09:00:00Z");
}

TEST(EntryTokenTest, KindsAndSubjects) {
  const Signer keys = Keys({std::string(32, 'a')});
  auto code = VerifyEntryToken(keys, Token(keys, EntryKind::kPriority, ""), "shop", kNow, "t");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->kind, EntryKind::kPriority);
  EXPECT_EQ(code->subject, "") << "a priority code for any number of invitees";
  auto staff =
      VerifyEntryToken(keys, Token(keys, EntryKind::kBypass, "staff-7"), "shop", kNow, "t");
  ASSERT_TRUE(staff.ok()) << staff.status();
  EXPECT_EQ(staff->kind, EntryKind::kBypass);
  EXPECT_EQ(SignEntryToken(keys, {"shop", EntryKind::kIdentity, "", kNow}).status().message(),
            "an identity token needs a subject");
  EXPECT_EQ(SignEntryToken(keys, {"shop", EntryKind::kBypass, "", kNow}).status().message(),
            "a bypass token needs a subject");
  EXPECT_FALSE(
      SignEntryToken(keys, {"shop", EntryKind::kPriority, std::string(129, 'x'), kNow}).ok());
  EXPECT_FALSE(SignEntryToken(keys, {"Bad Room", EntryKind::kPriority, "", kNow}).ok());
  const std::string odd = "name with spaces.and dots/é";
  auto token = VerifyEntryToken(keys, Token(keys, EntryKind::kIdentity, odd), "shop", kNow, "f");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->subject, odd);
}

TEST(EntryTokenTest, EveryCharacterChangedOrCutIsRefusedAndOtherKeysSignNothing) {
  const Signer keys = Keys({std::string(32, 'a')});
  const std::string text = Token(keys, EntryKind::kPriority, "staff-7");
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : {'A', 'z', '0', '.', '_'}) {
      if (text[i] == c) continue;
      std::string forged = text;
      forged[i] = c;
      EXPECT_FALSE(VerifyEntryToken(keys, forged, "shop", kNow, "entry_token").ok())
          << i << " -> " << c << ": " << forged;
    }
    EXPECT_FALSE(VerifyEntryToken(keys, text.substr(0, i), "shop", kNow, "entry_token").ok());
  }
  // A token for another room, kind or a later expiry cannot be made from this one.
  std::string moved = text;
  moved.replace(2, 4, "hall");
  EXPECT_EQ(VerifyEntryToken(keys, moved, "hall", kNow, "entry_token").status().message(),
            "entry_token is not signed by this server's entry keys");
  const Signer other = Keys({std::string(32, 'b')});
  EXPECT_FALSE(VerifyEntryToken(other, text, "shop", kNow, "entry_token").ok());
  EXPECT_FALSE(VerifyEntryToken(keys, std::string(600, 'e'), "shop", kNow, "entry_token").ok());
}

TEST(EntryTokenTest, RotationAcceptsOldAndNewKeys) {
  const std::string old_key(32, 'o'), new_key(32, 'n');
  const std::string by_old = Token(Keys({old_key}), EntryKind::kBypass, "staff");
  const Signer rotating = Keys({new_key, old_key});
  EXPECT_TRUE(VerifyEntryToken(rotating, by_old, "shop", kNow, "t").ok()) << "old still accepted";
  const std::string by_new = Token(rotating, EntryKind::kBypass, "staff");
  EXPECT_TRUE(VerifyEntryToken(Keys({new_key}), by_new, "shop", kNow, "t").ok()) << "new signs";
  EXPECT_FALSE(VerifyEntryToken(Keys({new_key}), by_old, "shop", kNow, "t").ok())
      << "the old key removed: what it signed is refused";
}

}  // namespace
}  // namespace anteroom::wire
