// anteroom-gate's routes file: which room and page a host and path get, and how a wrong
// file is refused.

#include "client/gate/routes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"

namespace anteroom::gate {
namespace {

constexpr char kRoutes[] = R"(# Four rooms behind one gate.
route { host: "vaccines.example" room: "vaccines" site_name: "Vaccinations"
        default_language: "ko" time_zone: "Asia/Seoul" }
route { host: "Tickets.Example" room: "tickets" queued_status: 429 cookie_suffix: "t1" }
route { host: "city.example" path_prefix: "/permits" room: "permits" default_language: "it"
        time_zone: "Europe/Rome" }
route { host: "city.example" path_prefix: "/permits/parking" room: "parking" queued_status: 202 }
route { path_prefix: "/" room: "catchall" suspended: true }
)";

absl::StatusOr<std::shared_ptr<const RouteTable>> Parse(const std::string& text,
                                                        const std::string& dir = "") {
  RouteDefaults defaults;
  defaults.site_name = "Our site";
  return RouteTable::Parse("routes.textproto", text, dir, defaults, *Catalogs::Builtin());
}

std::string RoomFor(const RouteTable& table, absl::string_view host, absl::string_view path) {
  absl::StatusOr<const Route*> r = table.Match(host, path);
  if (!r.ok()) return "(refused)";
  return *r ? (*r)->room : "(none)";
}

TEST(RoutesTest, TheMostSpecificRouteWins) {
  auto table = Parse(kRoutes);
  ASSERT_TRUE(table.ok()) << table.status();
  const RouteTable& t = **table;
  EXPECT_EQ(RoomFor(t, "vaccines.example", "/"), "vaccines");
  EXPECT_EQ(RoomFor(t, "VACCINES.example:8443", "/book"), "vaccines");  // any case, any port
  EXPECT_EQ(RoomFor(t, "tickets.example", "/a"), "tickets");
  EXPECT_EQ(RoomFor(t, "city.example", "/permits"), "permits");
  EXPECT_EQ(RoomFor(t, "city.example", "/permits/new"), "permits");
  EXPECT_EQ(RoomFor(t, "city.example", "/permits/parking/zone-3"), "parking");  // longest
  EXPECT_EQ(RoomFor(t, "city.example", "/permitsandmore"), "catchall");         // not a segment
  EXPECT_EQ(RoomFor(t, "city.example", "/"), "catchall");  // named host, no prefix: any host's
  EXPECT_EQ(RoomFor(t, "other.example", "/permits"), "catchall");
  EXPECT_EQ(RoomFor(t, "", ""), "catchall");

  const Route& vaccines = **t.Match("vaccines.example", "/");
  EXPECT_EQ(vaccines.site_name, "Vaccinations");
  EXPECT_EQ(vaccines.default_language, "ko");
  EXPECT_EQ(vaccines.time_zone, "Asia/Seoul");
  EXPECT_EQ(vaccines.queued_status, 200);
  EXPECT_EQ(vaccines.line, 2);
  const Route& tickets = **t.Match("tickets.example", "/");
  EXPECT_EQ(tickets.site_name, "Our site");  // the gate's default
  EXPECT_EQ(tickets.default_language, "en");
  EXPECT_EQ(tickets.time_zone, "UTC");
  EXPECT_EQ(tickets.queued_status, 429);
  EXPECT_EQ(tickets.cookie_suffix, "t1");
  EXPECT_EQ(tickets.page.get(), &PageTemplate::Default());
  EXPECT_TRUE((*t.Match("x", "/"))->suspended);
  EXPECT_EQ(t.ForRoom("city.example", "parking")->path_prefix, "/permits/parking");
  EXPECT_EQ(t.ForRoom("city.example", "vaccines"), nullptr);  // another host's room

  // Without a catch-all, a request no route covers matches nothing.
  auto narrow = Parse(R"(route { host: "a.example" path_prefix: "/Shop/" room: "shop" })");
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(RoomFor(**narrow, "a.example", "/shop/x?y=1"), "shop");
  EXPECT_EQ(RoomFor(**narrow, "a.example", "/shop"), "shop");  // "/shop/" is "/shop"
  EXPECT_EQ(RoomFor(**narrow, "a.example", "/"), "(none)");
  EXPECT_EQ(RoomFor(**narrow, "b.example", "/shop/x"), "(none)");
}

TEST(RoutesTest, NoSpellingOfAPathEscapesItsRoute) {
  auto table = Parse(R"(route { path_prefix: "/tickets" room: "tickets" }
                        route { path_prefix: "/" room: "free" suspended: true }
                        route { path_prefix: "/티켓" room: "korean" })");
  ASSERT_TRUE(table.ok()) << table.status();
  // What browsers send: each of these is the tickets room's, whatever the server behind.
  for (const char* uri : {"/tickets/buy", "/TICKETS/buy", "/tickets", "/tickets/", "/tickets?a=/b",
                          "/tickets/buy?x=%2e%2e/../", "/tickets/buy;jsessionid=1",
                          "/tickets/a%2Fb", "/tickets//buy", "/tickets/%ED%8B%B0%EC%BC%93"}) {
    EXPECT_EQ(RoomFor(**table, "any.example", uri), "tickets") << uri;
  }
  for (const char* uri : {"/%ED%8B%B0%EC%BC%93", "/%ed%8b%b0%ec%bc%93/a%20b"}) {
    EXPECT_EQ(RoomFor(**table, "any.example", uri), "korean") << uri;  // UTF-8, escaped
  }
  for (const char* uri :
       {"/ticketsx", "/x/tickets", "/", "/tickets-old", "/?/tickets", "/wiki/Special:Search",
        "/files/v1./", "/.well-known/security.txt", "/~alice/home"}) {
    EXPECT_EQ(RoomFor(**table, "any.example", uri), "free") << uri;
  }
  // What no browser sends, and servers read as under /tickets or not, as they decode before
  // or after resolving "..", resolve dot segments at all, split at '\\', cut ";params", merge
  // "//" or match the raw path: routing by one reading could let a visitor in by another.
  for (const char* uri : {"/tickets/%2e%2e/buy",
                          "/tickets/%2E%2E/buy",
                          "/tickets/.%2e/buy",
                          "/tickets/%2e./buy",
                          "/tickets%2f..%2fbuy",
                          "/tickets/%2e%2e%2fbuy",
                          "/tickets/..%2fbuy",
                          "/tickets/..;/buy",
                          "/tickets/..\\buy",
                          "/tickets/..%5cbuy",
                          "/tickets/%2E%2E/%2E%2E/buy",
                          "\\tickets\\buy",
                          "/tickets/%252e%252e/buy",
                          "//tickets/buy",
                          "/tickets;jsessionid=1/buy",
                          "/tickets%2Fbuy",
                          "/%2574ickets/buy",
                          "/%2e%2e/tickets/buy",
                          "/%74ickets/buy",
                          "/x/../tickets/buy",
                          "/./tickets/buy",
                          "/../../tickets",
                          "/tickets/../buy",
                          "tickets/../x",
                          "/티켓"}) {
    EXPECT_EQ(RoomFor(**table, "any.example", uri), "(refused)") << uri;
  }
}

TEST(RoutesTest, APathIsReadEveryWayAServerMayReadIt) {
  using Decoding = PathReading::Decoding;
  using Dots = PathReading::Dots;
  EXPECT_EQ(CanonicalPath("/%74ickets//a/../B;x=1/?q"), "/tickets/b");
  EXPECT_EQ(CanonicalPath(""), "/");
  EXPECT_EQ(CanonicalPath("/%zz%4"), "/%zz%4");  // not escapes: left as they are
  PathReading literal;
  literal.dots = Dots::kLiteralOnly;
  EXPECT_EQ(ReadPath("/tickets/%2e%2e/Buy", literal), "/tickets/../buy");
  EXPECT_EQ(ReadPath("/a/./b/../c%2Fd;x", literal), "/a/c/d");
  PathReading once;
  once.decoding = Decoding::kOnce;
  EXPECT_EQ(ReadPath("/a/%252e%252e/b", once), "/a/%2e%2e/b");
  PathReading raw;
  raw.decoding = Decoding::kNone;
  raw.dots = Dots::kNever;
  raw.backslash_separates = false;
  raw.cut_params = false;
  raw.merge_slashes = false;
  EXPECT_EQ(ReadPath("//A%2fb/%74;x\\y/./c/../d?e", raw), "//a%2fb/%74;x\\y/./c/../d");
  PathReading except;
  except.decoding = Decoding::kExceptDelimiters;
  EXPECT_EQ(ReadPath("/%74%2F%2e%25%5C%3b", except), "/t%2f%2e%25%5c%3b");
  EXPECT_EQ(RawForm("/티 a%?"), "/%ed%8b%b0%20a%25%3f");
  // A path with nothing ambiguous in it is read one way.
  const std::vector<ReadPathResult> plain = PathReadings("/tickets/buy.html?x=%2e%2e");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].path, "/tickets/buy.html");
  const std::vector<ReadPathResult> readings = PathReadings("/tickets/%2e%2e/buy");
  EXPECT_EQ(readings.front().path, "/buy");
  auto has = [&](const std::string& path, bool raw) {
    return std::find(readings.begin(), readings.end(), ReadPathResult{path, raw}) != readings.end();
  };
  EXPECT_TRUE(has("/tickets/../buy", false));
  EXPECT_TRUE(has("/tickets/%2e%2e/buy", true));
  EXPECT_TRUE(has("/tickets/%2e%2e/buy", false));
}

TEST(RoutesTest, AWrongFileIsRefusedNamingTheLine) {
  auto refused = [](const std::string& text) {
    auto t = Parse(text);
    return t.ok() ? std::string("accepted") : std::string(t.status().message());
  };
  const std::string ok = "route { room: \"a\" }\n";
  EXPECT_EQ(refused(ok + "route { host: \"b.example\" }"),
            "routes.textproto line 2: room: every route names its room");
  EXPECT_TRUE(absl::StartsWith(refused(ok + "route { room: \"no spaces\" }"),
                               "routes.textproto line 2: room"))
      << refused(ok + "route { room: \"no spaces\" }");
  EXPECT_EQ(refused(ok + "route { room: \"b\" host: \"b.example:80\" }"),
            "routes.textproto line 2: host: \"b.example:80\" is not a host name (letters, "
            "digits, '.', '-'; no port)");
  EXPECT_EQ(refused(ok + "route { room: \"b\" path_prefix: \"shop\" }"),
            "routes.textproto line 2: path_prefix: \"shop\" must start with '/' and hold no '?' "
            "or '#'");
  EXPECT_EQ(refused(ok + "\n\nroute { room: \"b\" path_prefix: \"/\" }"),
            "routes.textproto line 4: the route at line 1 already serves any host at /");
  EXPECT_TRUE(
      absl::StartsWith(refused(ok + "route { room: \"b\" host: \"b\" default_language: \"sw\" }"),
                       "routes.textproto line 2: default_language: no catalog for \"sw\""));
  EXPECT_EQ(refused(ok + "route { room: \"b\" host: \"b\" queued_status: 404 }"),
            "routes.textproto line 2: queued_status: 404 is not 200, 202 or 429");
  EXPECT_EQ(refused(ok + "route { room: \"b\" host: \"b\" time_zone: \"Asia/Soul\" }"),
            "routes.textproto line 2: time_zone: \"Asia/Soul\" is not an IANA time zone (e.g. "
            "Asia/Seoul, Europe/Rome, UTC)");
  EXPECT_TRUE(absl::StartsWith(
      refused(ok + "route { room: \"b\" host: \"b\" default_language: \"tlh\" }"),
      "routes.textproto line 2: default_language: no catalog for \"tlh\" (there are: en, "))
      << refused(ok + "route { room: \"b\" host: \"b\" default_language: \"tlh\" }");
  EXPECT_EQ(refused(ok + "route { room: \"a\" host: \"b\" cookie_suffix: \"x\" }"),
            "routes.textproto line 2: cookie_suffix: the route at line 1 gives room a the "
            "cookie_suffix \"\"; a room's routes share one");
  EXPECT_EQ(refused(ok + "route { room: \"b\" host: \"b\" cookie_suffix: \"a;b\" }"),
            "routes.textproto line 2: cookie_suffix: \"a;b\" may hold only letters, digits, '_' "
            "and '-', at most 32");
  EXPECT_EQ(refused(ok + "route { room: \"b\" host: \"b\" template: \"missing.html\" }"),
            "routes.textproto line 2: template: cannot read missing.html");
  EXPECT_TRUE(absl::StartsWith(refused(ok + "route { room: \"b\" hots: \"b\" }"),
                               "routes.textproto line 2:"))
      << refused(ok + "route { room: \"b\" hots: \"b\" }");
  EXPECT_EQ(refused("# nothing\n"), "routes.textproto: no route { ... } in it");
}

TEST(RoutesTest, ARoutesTemplateIsReadBesideTheFileAndChecked) {
  const std::string dir = testing::MakeTempDir("routes-templates");
  std::ofstream(dir + "/ok.html") << "<p lang=\"{{lang}}\">{{msg.title.left}}</p>";
  std::ofstream(dir + "/typo.html") << "<p>\n{{msg.title.lfet}}</p>";
  auto table = Parse("route { room: \"a\" template: \"ok.html\" }", dir);
  ASSERT_TRUE(table.ok()) << table.status();
  PageState s;
  s.kind = PageState::Kind::kLeft;
  PageContext context;
  context.language = Catalogs::Builtin()->Find("ko");
  EXPECT_EQ((*table)->routes()[0].page->Render(s, context),
            "<p lang=\"ko\">" + Catalogs::Builtin()->Find("ko")->Format("title.left", {}) + "</p>");
  auto typo = Parse("\nroute { room: \"a\" template: \"typo.html\" }", dir);
  ASSERT_FALSE(typo.ok());
  EXPECT_TRUE(absl::StartsWith(typo.status().message(), "routes.textproto line 2: template "))
      << typo.status();
  EXPECT_TRUE(absl::StrContains(typo.status().message(),
                                "template line 2: no message "
                                "\"title.lfet\""))
      << typo.status();
  std::filesystem::remove_all(dir);
}

TEST(RoutesTest, TheShippedExampleLoads) {
  auto table =
      RouteTable::Load(std::string(ANTEROOM_SOURCE_DIR) + "/deploy/nginx/routes.example.textproto",
                       RouteDefaults(), *Catalogs::Builtin());
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(RoomFor(**table, "booking.vaccines.example", "/"), "vaccines");
  EXPECT_EQ(RoomFor(**table, "www.asl.example", "/prenota/visite"), "prenotazioni");
  EXPECT_EQ(RoomFor(**table, "www.asl.example", "/prenota/esami/sangue"), "esami");
  EXPECT_EQ(RoomFor(**table, "www.tickets.example", "/"), "concert");
  EXPECT_EQ(RoomFor(**table, "www.asl.example", "/"), "general");
}

}  // namespace
}  // namespace anteroom::gate
