// The built-in waiting page as a small phone shows it: every state in the languages whose
// lines break by their own rules (Korean, Japanese, Chinese) and the waiting state in every
// language, rendered by `anteroom-gate --preview=all` and laid out by headless Chromium 360
// CSS pixels wide (a common small phone). Korean is written with spaces between words and
// must break only there ("이용하실" never as "이|용하실"); Japanese and Chinese break by the
// strict rules (no line starting with a small kana or closing punctuation); no page scrolls
// sideways.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/webdriver.h"

namespace anteroom {
namespace {

namespace fs = std::filesystem;
constexpr char kGate[] = ANTEROOM_GATE_PATH;
constexpr char kScreenshots[] = ANTEROOM_SCREENSHOT_DIR;

// The words of the page's visible text that are split across two lines, joined by '|'.
constexpr char kBrokenWords[] = R"(
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const re = /\S+/g;
    let m;
    while ((m = re.exec(node.data)) !== null) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set(Array.from(range.getClientRects())
                                .filter(r => r.width > 0)
                                .map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  return broken.join('|');)";

class PageLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("anteroom-layout");
    testing::ExitResult preview =
        testing::RunToExit(kGate, {"--preview=all", "--preview_out=" + dir_ + "/pages"});
    ASSERT_EQ(preview.exit_code, 0) << preview.stderr_text;
    // Without their reload and the challenge's solver (which reloads the page once solved):
    // a page that reloads while the test reads its layout is gone. The layout is the same.
    for (const auto& entry : fs::directory_iterator(dir_ + "/pages")) {
      std::string html = testing::ReadFile(entry.path().string());
      for (const auto& [open, close] :
           {std::pair<std::string, std::string>{"<meta http-equiv=\"refresh\"", ">"},
            {"<script", "</script>"}}) {
        for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at)) {
          html.erase(at, html.find(close, at) + close.size() - at);
        }
      }
      std::ofstream(entry.path(), std::ios::trunc) << html;
    }
    auto driver = testing::StartChromedriver(dir_ + "/chromedriver.log", &driver_port_);
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = *std::move(driver);
    testing::Browser::Options options;
    options.user_data_dir = dir_ + "/profile";
    options.width = 360;
    options.height = 740;
    auto browser = testing::Browser::Open(driver_port_, options);
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = *std::move(browser);
  }

  void TearDown() override {
    browser_.reset();
    if (driver_) {
      if (absl::Status s = driver_->Stop(); !s.ok()) ADD_FAILURE() << s;
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The pages of `language` (every state), or of every language in `state`.
  std::vector<std::string> Pages(const std::string& state, const std::string& language) {
    std::vector<std::string> pages;
    for (const auto& entry : fs::directory_iterator(dir_ + "/pages")) {
      const std::string name = entry.path().stem().string();  // room-STATE-LANGUAGE
      const std::vector<std::string> parts = absl::StrSplit(name, absl::MaxSplits('-', 2));
      if (parts.size() != 3) continue;
      if ((state.empty() || parts[1] == state) && (language.empty() || parts[2] == language))
        pages.push_back(entry.path().string());
    }
    std::sort(pages.begin(), pages.end());
    return pages;
  }

  // Opens `page`; its width as laid out (more than 360: it scrolls sideways).
  int Open(const std::string& page) {
    EXPECT_TRUE(browser_->Navigate("file://" + page).ok()) << page;
    auto width = browser_->Evaluate("return String(document.documentElement.scrollWidth);");
    return width.ok() ? std::stoi(*width) : -1;
  }

  std::string dir_;
  int driver_port_ = 0;
  std::unique_ptr<testing::Process> driver_;
  std::unique_ptr<testing::Browser> browser_;
};

TEST_F(PageLayoutTest, KoreanBreaksOnlyBetweenWords) {
  const std::vector<std::string> pages = Pages("", "ko");
  ASSERT_EQ(pages.size(), 9u);
  int words = 0;
  for (const std::string& page : pages) {
    EXPECT_LE(Open(page), 360) << page;
    auto broken = browser_->Evaluate(kBrokenWords);
    ASSERT_TRUE(broken.ok()) << broken.status();
    EXPECT_EQ(*broken, "") << page << ": words broken across lines";
    auto count = browser_->Evaluate("return String(document.body.innerText.split(/\\s+/).length);");
    ASSERT_TRUE(count.ok());
    words += std::stoi(*count);
  }
  EXPECT_GT(words, 300);  // the check saw the pages' text
}

TEST_F(PageLayoutTest, JapaneseAndChineseBreakByTheStrictRules) {
  for (const char* language : {"ja", "zh-Hans", "zh-Hant"}) {
    const std::vector<std::string> pages = Pages("", language);
    ASSERT_EQ(pages.size(), 9u) << language;
    for (const std::string& page : pages) {
      EXPECT_LE(Open(page), 360) << page;
      for (const char* element : {"h1", "main p"}) {
        auto rule = browser_->Evaluate(
            absl::StrCat("const e = document.querySelector('", element,
                         "'); return e ? getComputedStyle(e).lineBreak : 'strict';"));
        ASSERT_TRUE(rule.ok()) << rule.status();
        EXPECT_EQ(*rule, "strict") << page << " " << element;
      }
    }
  }
}

TEST_F(PageLayoutTest, NoLanguagesWaitingPageScrollsSidewaysOnASmallPhone) {
  const std::vector<std::string> pages = Pages("waiting", "");
  ASSERT_EQ(pages.size(), 38u);
  fs::create_directories(kScreenshots);
  for (const std::string& page : pages) {
    EXPECT_LE(Open(page), 360) << page;
    // Each language's page as the phone shows it, to look at: waiting-360-<language>.png.
    const std::string stem = fs::path(page).stem().string();  // room-waiting-<language>
    const std::string language = stem.substr(stem.find('-', stem.find('-') + 1) + 1);
    EXPECT_TRUE(
        browser_->Screenshot(absl::StrCat(kScreenshots, "/waiting-360-", language, ".png")).ok());
  }
}

}  // namespace
}  // namespace anteroom
