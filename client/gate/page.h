#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/gate/catalog.h"
#include "client/gate/page_state.h"
#include "client/gate/template.h"

namespace anteroom::gate {

// What a page is drawn with, besides its state.
struct PageContext {
  // The operator's name for the site.
  std::string site_name = "This site";
  // The visitor's language (Catalogs::Choose). Null: English.
  const Language* language = nullptr;
  // The IANA time zone the event's opening time is shown in (checked: ValidateTimeZone).
  std::string time_zone = "UTC";
  // Drives the countdown to the event.
  absl::Time now = absl::UnixEpoch();
};

// What a page says, worked out once per page from its state: the template's values, the
// language, and the arguments of its texts (the JSON form says the same).
struct PageValues {
  TemplateValues values;
  const Language* language = nullptr;
  MessageArgs args;
};
PageValues ComputePageValues(const PageState& state, const PageContext& context);

// A page template: HTML with {{name}} (replaced by the value, HTML-escaped), {{msg.<id>}}
// (the text <id> of the visitor's language, from its catalog, HTML-escaped), and sections
// {{#name}}...{{/name}} (kept when `name` is true) and {{^name}}...{{/name}} (kept when
// false). Names and ids are checked when the template is parsed, so a typo in an operator's
// template fails at start-up, not in front of visitors. See README "Your own page" for the
// names.
class PageTemplate {
 public:
  // INVALID_ARGUMENT naming the line for unknown names and unbalanced sections.
  static absl::StatusOr<PageTemplate> Parse(absl::string_view text);
  // The built-in page (client/gate/waiting_page.html).
  static const PageTemplate& Default();

  std::string Render(const PageState& state, const PageContext& context) const;

 private:
  explicit PageTemplate(Template t) : template_(std::move(t)) {}
  Template template_;
};

}  // namespace anteroom::gate
