// Runs every grpcurl recipe in docs/operations.md ("Operating with grpcurl"), as written,
// against the real anteroomd through a client that knows no .proto file and learns everything
// from server reflection, as grpcurl does. A recipe that drifts from the API fails here.

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/program.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kRecipes[] = ANTEROOM_OPERATIONS_DOC;

struct Recipe {
  std::string line;
  std::string address;   // 127.0.0.1:50051 or :50052 as written
  std::string verb;      // "list", "describe" or a method
  std::string argument;  // the described symbol or the method
  std::string json;      // -d '...'
};

std::vector<Recipe> ReadRecipes() {
  std::ifstream in(kRecipes);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find("<!-- recipes:begin -->");
  const size_t end = text.find("<!-- recipes:end -->");
  std::vector<Recipe> recipes;
  if (begin == std::string::npos || end == std::string::npos) return recipes;
  constexpr absl::string_view kPrefix = "grpcurl -plaintext ";
  for (absl::string_view line : absl::StrSplit(text.substr(begin, end - begin), '\n')) {
    if (!absl::ConsumePrefix(&line, "grpcurl")) continue;
    Recipe r{absl::StrCat("grpcurl", line), "", "unparsed", "", ""};
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, kPrefix.substr(7))) {
      if (absl::ConsumePrefix(&rest, "-d '")) {
        const size_t close = rest.find("' ");
        if (close == absl::string_view::npos) {
          recipes.push_back(r);
          continue;
        }
        r.json = std::string(rest.substr(0, close));
        rest.remove_prefix(close + 2);
      }
      std::vector<std::string> words = absl::StrSplit(rest, ' ', absl::SkipEmpty());
      if (words.size() >= 2 && absl::StartsWith(words[0], "127.0.0.1:5005")) {
        r.address = words[0];
        if (words.size() == 2 && words[1] == "list") {
          r.verb = "list";
        } else if (words.size() == 3 && words[1] == "describe") {
          r.verb = "describe";
          r.argument = words[2];
        } else if (words.size() == 2) {
          r.verb = "call";
          r.argument = words[1];
        }
      }
    }
    recipes.push_back(r);
  }
  return recipes;
}

TEST(RecipesTest, EveryReadmeRecipeWorksThroughReflectionAlone) {
  anteroom::base::PromptGrpcReconnects();
  const std::vector<Recipe> recipes = ReadRecipes();
  ASSERT_GE(recipes.size(), 15u) << "recipes not found in " << kRecipes;
  const std::string dir = testing::MakeTempDir("anteroom-recipes");
  auto daemon =
      testing::Daemon::Start(kBinary, dir + "/data", {"--backup_dir=" + dir + "/backups"});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  testing::ReflectionClient admin(
      grpc::CreateChannel((*daemon)->admin_address(), grpc::InsecureChannelCredentials()));
  testing::ReflectionClient gateway(
      grpc::CreateChannel((*daemon)->gateway_address(), grpc::InsecureChannelCredentials()));
  std::string ticket, session;
  for (const Recipe& r : recipes) {
    SCOPED_TRACE(r.line);
    ASSERT_NE(r.verb, "unparsed") << "a recipe this test cannot read";
    testing::ReflectionClient& client = r.address == "127.0.0.1:50052" ? admin : gateway;
    if (r.verb == "list") {
      auto services = client.ListServices();
      ASSERT_TRUE(services.ok()) << services.status();
      EXPECT_FALSE(services->empty());
      continue;
    }
    if (r.verb == "describe") {
      auto methods = client.ListMethods(r.argument);
      ASSERT_TRUE(methods.ok()) << methods.status();
      EXPECT_FALSE(methods->empty());
      continue;
    }
    // Before the first Poll, make a queued visitor so there is a ticket to refresh.
    if (r.argument == "anteroom.v1.WaitingRoom/Poll" && ticket.empty()) {
      for (const char* who : {"a", "b", "c"}) {
        auto v = gateway.Call("anteroom.v1.WaitingRoom/Admit",
                              absl::StrCat(R"({"room":"clinic","client_id":")", who, "\"}"));
        ASSERT_TRUE(v.ok());
        if (session.empty()) session = testing::JsonStringField(*v, "session");
      }
      // Fill the room so the next arrival queues: lower the limit to what is active.
      auto lowered = admin.Call("anteroom.v1.RoomAdmin/UpdateRoom",
                                R"({"room":"clinic","settings":{"max_active_sessions":1}})");
      ASSERT_TRUE(lowered.ok());
      auto queued = gateway.Call("anteroom.v1.WaitingRoom/Admit",
                                 R"({"room":"clinic","client_id":"queued"})");
      ASSERT_TRUE(queued.ok());
      ticket = testing::JsonStringField(*queued, "ticket");
      ASSERT_FALSE(ticket.empty()) << *queued;
    }
    std::string json = r.json.empty() ? "{}" : r.json;
    json = absl::StrReplaceAll(json, {{"TICKET", ticket}, {"SESSION_TOKEN", session}});
    auto result = client.Call(r.argument, json);
    ASSERT_TRUE(result.ok()) << result.status();
    if (r.argument == "anteroom.v1.WaitingRoom/Admit" && session.empty()) {
      session = testing::JsonStringField(*result, "session");
    }
    if (r.argument == "grpc.health.v1.Health/Check") {
      EXPECT_NE(result->find("SERVING"), std::string::npos) << *result;
    }
    if (r.argument == "anteroom.v1.RoomAdmin/CreateCheckpoint") {
      EXPECT_TRUE(std::filesystem::exists(testing::JsonStringField(*result, "directory")))
          << *result;
    }
  }
  (*daemon)->Kill9();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anteroom
