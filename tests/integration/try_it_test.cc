// Runs README.md's "Try it" lines, as written, with the real anteroomctl against the real
// anteroomd, and checks what each line says it prints (the `"field": value` pieces after
// "->"). Then does what the paragraph after it says: kill -9, restart, and the same tickets
// and sessions carry on. A README example that drifts from what the programs do fails here.
//
// The README's `t.shop.…` / `s.shop.…` stand for a token printed earlier; the comment names
// whose ("carol's ticket"), so the test substitutes that visitor's token.

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/program.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/http_get.h"
#include "tests/testing/reflection_client.h"

namespace anteroom {
namespace {

constexpr char kBinary[] = ANTEROOMD_PATH;
constexpr char kCtl[] = ANTEROOMCTL_PATH;
constexpr char kReadme[] = ANTEROOM_README;

constexpr absl::string_view kEllipsis = "…";

// One command of the block: its words (shell-split, quotes removed), and its comment.
struct Line {
  std::string text;
  std::vector<std::string> words;
  std::string comment;
};

// The lines between the try-it markers, continuation lines joined.
std::vector<Line> ReadTryIt() {
  std::ifstream in(kReadme);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find("<!-- try-it:begin -->");
  const size_t end = text.find("<!-- try-it:end -->");
  std::vector<Line> lines;
  if (begin == std::string::npos || end == std::string::npos) return lines;
  std::string joined;
  for (absl::string_view raw : absl::StrSplit(text.substr(begin, end - begin), '\n')) {
    if (absl::StartsWith(raw, "```") || absl::StartsWith(raw, "<!--") || raw.empty()) continue;
    joined += std::string(raw);
    if (absl::EndsWith(joined, "\\")) {
      joined.pop_back();
      continue;
    }
    Line line;
    line.text = joined;
    // Shell words: single quotes group, '#' at a word's start begins the comment.
    std::string word;
    bool quoted = false, in_word = false;
    for (size_t i = 0; i < joined.size(); ++i) {
      const char c = joined[i];
      if (quoted) {
        if (c == '\'')
          quoted = false;
        else
          word += c;
      } else if (c == '\'') {
        quoted = in_word = true;
      } else if (c == ' ') {
        if (in_word) line.words.push_back(word);
        word.clear();
        in_word = false;
      } else if (c == '#' && !in_word) {
        line.comment = std::string(absl::StripAsciiWhitespace(joined.substr(i + 1)));
        break;
      } else {
        word += c;
        in_word = true;
      }
    }
    if (in_word) line.words.push_back(word);
    lines.push_back(line);
    joined.clear();
  }
  return lines;
}

// What the comment says the output contains: each `"key": "value"` or `"key": value` after
// "->". A value ending in "…" is a prefix.
std::vector<std::string> Expected(const std::string& comment) {
  std::vector<std::string> pieces;
  const size_t arrow = comment.find("->");
  if (arrow == std::string::npos) return pieces;
  absl::string_view rest = absl::string_view(comment).substr(arrow + 2);
  while (true) {
    const size_t open = rest.find('"');
    if (open == absl::string_view::npos) break;
    const size_t close = rest.find('"', open + 1);
    if (close == absl::string_view::npos) break;
    absl::string_view after = rest.substr(close + 1);
    if (!absl::StartsWith(after, ": ")) {  // a quoted word in the prose
      rest = after;
      continue;
    }
    const std::string key(rest.substr(open, close - open + 1));
    after.remove_prefix(2);
    std::string piece;
    if (absl::StartsWith(after, "\"")) {
      const size_t end = after.find('"', 1);
      absl::string_view value = after.substr(0, end + 1);
      if (absl::EndsWith(value, absl::StrCat(kEllipsis, "\""))) {
        value.remove_suffix(kEllipsis.size() + 1);  // a prefix: no closing quote
      }
      piece = absl::StrCat(key, ": ", value);
      rest = after.substr(end + 1);
    } else {
      const size_t end = after.find_first_of(",: ");
      piece = absl::StrCat(key, ": ", after.substr(0, end));
      rest = end == absl::string_view::npos ? "" : after.substr(end);
    }
    pieces.push_back(piece);
  }
  return pieces;
}

// Whose token a line uses: "carol's ticket" -> {"carol", "ticket"}.
std::pair<std::string, std::string> Owner(const std::string& comment) {
  const size_t mark = comment.find("'s ");
  if (mark == std::string::npos) return {};
  const size_t space = comment.find(' ', mark + 3);
  return {comment.substr(0, mark), comment.substr(mark + 3, space - mark - 3)};
}

TEST(TryItTest, TheReadmeExampleDoesWhatItSays) {
  anteroom::base::PromptGrpcReconnects();
  const std::vector<Line> lines = ReadTryIt();
  ASSERT_GE(lines.size(), 15u) << "the try-it block was not found in " << kReadme;
  const std::string dir = testing::MakeTempDir("anteroom-try-it");
  auto daemon = testing::Daemon::Start(kBinary, dir + "/data");
  ASSERT_TRUE(daemon.ok()) << daemon.status();

  // Tokens printed so far, by visitor: "ticket" and "session".
  std::map<std::string, std::map<std::string, std::string>> tokens;
  for (const Line& line : lines) {
    SCOPED_TRACE(line.text);
    ASSERT_FALSE(line.words.empty());
    const std::vector<std::string> expected = Expected(line.comment);
    if (absl::StartsWith(line.words[0], "C=")) continue;
    if (line.words[0] == "curl") {
      // curl -s 127.0.0.1:9464/metrics | grep NAME: the metrics line, once the gauge caught up.
      ASSERT_EQ(line.words.size(), 6u);
      ASSERT_EQ(line.words[2], "127.0.0.1:9464/metrics");
      const std::string want =
          std::string(absl::StripAsciiWhitespace(line.comment.substr(line.comment.find("->") + 2)));
      ASSERT_TRUE(absl::StartsWith(want, line.words[5])) << "grep finds what the comment shows";
      std::string metrics;
      EXPECT_TRUE(testing::WaitUntil(
          [&] {
            metrics = testing::HttpGet((*daemon)->metrics_address(), "/metrics").value_or("");
            return absl::StrContains(metrics, absl::StrCat("\n", want, "\n"));
          },
          absl::Seconds(10)))
          << "want " << want << " in:\n"
          << metrics;
      continue;
    }
    ASSERT_EQ(line.words[0], "$C") << "a line this test cannot run";
    std::vector<std::string> args = {"--server=" + (*daemon)->gateway_address(),
                                     "--admin=" + (*daemon)->admin_address()};
    const auto [owner, kind] = Owner(line.comment);
    std::string visitor = owner;
    for (size_t i = 1; i < line.words.size(); ++i) {
      std::string word = line.words[i];
      if (absl::StrContains(word, kEllipsis)) {
        ASSERT_FALSE(owner.empty()) << "say whose token " << word << " is";
        word = tokens[owner][kind];
        ASSERT_FALSE(word.empty()) << "no " << kind << " of " << owner << " printed before";
      }
      args.push_back(word);
    }
    if (line.words[1] == "admit") visitor = line.words.back();
    const testing::ExitResult run = testing::RunToExit(kCtl, args);
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    for (const std::string& piece : expected) {
      EXPECT_NE(run.stderr_text.find(piece), std::string::npos) << "want " << piece << " in:\n"
                                                                << run.stderr_text;
    }
    for (const char* field : {"ticket", "session"}) {
      const std::string token = testing::JsonStringField(run.stderr_text, field);
      if (!visitor.empty() && !token.empty()) tokens[visitor][field] = token;
    }
  }

  // "Kill the server with kill -9 and start it again: the same tickets poll at the same
  // positions and the same sessions still heartbeat."
  (*daemon)->Kill9();
  auto restarted = testing::Daemon::Start(kBinary, dir + "/data");
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto ctl = [&](const std::string& command, const std::string& token) {
    return testing::RunToExit(kCtl, {"--server=" + (*restarted)->gateway_address(),
                                     "--admin=" + (*restarted)->admin_address(), command, token});
  };
  const testing::ExitResult erin = ctl("poll", tokens["erin"]["ticket"]);
  EXPECT_NE(erin.stderr_text.find("\"position\": \"1\""), std::string::npos) << erin.stderr_text;
  for (const char* who : {"carol", "dave"}) {
    const testing::ExitResult beat = ctl("heartbeat", tokens[who]["session"]);
    EXPECT_NE(beat.stderr_text.find("\"state\": \"ADMITTED\""), std::string::npos)
        << who << ": " << beat.stderr_text;
  }
  (*restarted)->Terminate();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anteroom
