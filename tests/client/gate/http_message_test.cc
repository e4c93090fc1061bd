#include "client/gate/http_message.h"

#include "gtest/gtest.h"

namespace anteroom::gate {
namespace {

TEST(HttpMessageTest, HeadersAreFoundInAnyCase) {
  HttpRequest request;
  request.headers["x-original-uri"] = "/tickets/%2e%2e/buy";
  EXPECT_EQ(request.Header("X-Original-URI"), "/tickets/%2e%2e/buy") << "the value as sent";
  EXPECT_EQ(request.Header("cookie"), "");
  HttpResponse response;
  response.headers = {{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(response.Header("SET-COOKIE"), "a=1") << "the first";
  EXPECT_EQ(response.Header("Location"), "");
}

TEST(HttpMessageTest, AQuerysParametersAreDecodedAsAFormsAndTheFirstWins) {
  absl::flat_hash_map<std::string, std::string> p;
  ParseQuery("lang=ko&next=%2Fbuy%3Fa%3D1&q=a+b&lang=en&flag&bad=%zz&&=empty", &p);
  EXPECT_EQ(p["lang"], "ko");
  EXPECT_EQ(p["next"], "/buy?a=1");
  EXPECT_EQ(p["q"], "a b");
  EXPECT_EQ(p["flag"], "");
  EXPECT_EQ(p["bad"], "%zz") << "an invalid escape is kept as it is";
  EXPECT_EQ(p[""], "empty");
  EXPECT_EQ(p.size(), 6u);
}

}  // namespace
}  // namespace anteroom::gate
