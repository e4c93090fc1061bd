#include "wire/signer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace anteroom::wire {
namespace {

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

TEST(SignerTest, TagsAreHmacSha256TruncatedTo16BytesInBase64Url) {
  // RFC 4231 test case 6: HMAC-SHA256 = 60e431591ee0b67f0d8a26aacbf5b77f 8e0b...
  absl::StatusOr<Signer> signer = Signer::FromKeys({std::string(131, '\xaa')});
  ASSERT_TRUE(signer.ok()) << signer.status();
  const std::string tag = signer->Sign("Test Using Larger Than Block-Size Key - Hash Key First");
  EXPECT_EQ(tag, "YOQxWR7gtn8Niiaqy_W3fw");
  EXPECT_EQ(tag.size(), 22u);
}

TEST(SignerTest, TheFirstKeySignsAndEveryKeyVerifies) {
  absl::StatusOr<Signer> old_only = Signer::FromKeys({kKeyA});
  absl::StatusOr<Signer> rotated = Signer::FromKeys({kKeyB, kKeyA});
  absl::StatusOr<Signer> new_only = Signer::FromKeys({kKeyB});
  ASSERT_TRUE(old_only.ok() && rotated.ok() && new_only.ok());
  const std::string old_tag = old_only->Sign("visitor:shop:v1");
  const std::string new_tag = rotated->Sign("visitor:shop:v1");
  EXPECT_NE(old_tag, new_tag);
  EXPECT_TRUE(rotated->Verify("visitor:shop:v1", old_tag)) << "the old key still verifies";
  EXPECT_TRUE(rotated->Verify("visitor:shop:v1", new_tag));
  EXPECT_TRUE(new_only->Verify("visitor:shop:v1", new_tag));
  EXPECT_FALSE(new_only->Verify("visitor:shop:v1", old_tag)) << "a removed key no longer does";
  EXPECT_FALSE(rotated->Verify("visitor:shop:v2", new_tag)) << "another message";
  EXPECT_FALSE(rotated->Verify("visitor:shop:v1", new_tag.substr(1)));
  EXPECT_FALSE(rotated->Verify("visitor:shop:v1", ""));
}

TEST(SignerTest, RefusesShortOrMissingKeys) {
  EXPECT_FALSE(Signer::FromKeys({}).ok());
  absl::StatusOr<Signer> short_key = Signer::FromKeys({kKeyA, std::string(31, 'c')});
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.status().message().find("32"), std::string::npos);
}

class SignerFileTest : public testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_ = std::filesystem::path(testing::TempDir()) / "signer-keys";
};

TEST_F(SignerFileTest, ReadsOneKeyPerLineSkippingCommentsAndBlankLines) {
  absl::StatusOr<Signer> from_file =
      Signer::FromFile("gate_keys", Write("# newest first\n\n  " + kKeyB + "  \n" + kKeyA + "\n"));
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  absl::StatusOr<Signer> from_keys = Signer::FromKeys({kKeyB, kKeyA});
  EXPECT_EQ(from_file->Sign("m"), from_keys->Sign("m"));
  EXPECT_TRUE(from_file->Verify("m", Signer::FromKeys({kKeyA})->Sign("m")));
}

TEST_F(SignerFileTest, ErrorsNameTheFlagTheFileAndTheLine) {
  absl::StatusOr<Signer> short_key = Signer::FromFile("gate_keys", Write(kKeyA + "\nshort\n"));
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.status().message().find("--gate_keys"), std::string::npos);
  EXPECT_NE(short_key.status().message().find("line 2"), std::string::npos) << short_key.status();
  absl::StatusOr<Signer> empty = Signer::FromFile("gate_keys", Write("# nothing yet\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("holds no key"), std::string::npos);
  absl::StatusOr<Signer> missing = Signer::FromFile("gate_keys", "/nonexistent/keys");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/keys"), std::string::npos);
}

}  // namespace
}  // namespace anteroom::wire
