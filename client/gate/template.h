#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace anteroom::gate {

// The names a template may use, checked when it is parsed.
struct TemplateNames {
  const absl::flat_hash_set<std::string>* variables = nullptr;
  const absl::flat_hash_set<std::string>* sections = nullptr;
  // The ids {{msg.<id>}} may name.
  const absl::flat_hash_set<std::string>* messages = nullptr;
  // A variable rendered as it is, not escaped (markup the program itself makes); "" none.
  std::string raw_variable;
};

// What a template is rendered with: each variable's value and each section's truth (every
// name TemplateNames allows must be here), and each message's text.
struct TemplateValues {
  absl::flat_hash_map<std::string, std::string> variables;
  absl::flat_hash_map<std::string, bool> sections;
  std::function<std::string(absl::string_view id)> message;
};

// A text template: {{name}} is the variable's value (HTML-escaped), {{msg.<id>}} the message's
// text (HTML-escaped), {{#name}}...{{/name}} is kept when the section is true and
// {{^name}}...{{/name}} when it is false. Immutable; thread-safe.
class Template {
 public:
  // INVALID_ARGUMENT naming the line for a name `names` does not allow, an unclosed "{{" and
  // unbalanced sections.
  static absl::StatusOr<Template> Parse(absl::string_view text, const TemplateNames& names);

  void Render(const TemplateValues& values, std::string* out) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
  std::string raw_variable_;
};

// `s` with & < > " ' escaped for HTML.
std::string EscapeHtml(absl::string_view s);

}  // namespace anteroom::gate
