#include "client/gate/template.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace anteroom::gate {

struct Template::Node {
  enum class Type { kText, kVariable, kMessage, kSection, kInverted };
  Type type;
  std::string text;  // the text, the name, or the message id
  std::vector<Node> children;
};

namespace {

using Node = Template::Node;

// {{msg.<id>}}: a message's text.
constexpr absl::string_view kMessagePrefix = "msg.";

void RenderNodes(const std::vector<Node>& nodes, const TemplateValues& values,
                 const std::string& raw_variable, std::string* out) {
  for (const Node& n : nodes) {
    switch (n.type) {
      case Node::Type::kText:
        *out += n.text;
        break;
      case Node::Type::kVariable:
        *out += n.text == raw_variable ? values.variables.at(n.text)
                                       : EscapeHtml(values.variables.at(n.text));
        break;
      case Node::Type::kMessage:
        *out += EscapeHtml(values.message(n.text));
        break;
      case Node::Type::kSection:
        if (values.sections.at(n.text)) RenderNodes(n.children, values, raw_variable, out);
        break;
      case Node::Type::kInverted:
        if (!values.sections.at(n.text)) RenderNodes(n.children, values, raw_variable, out);
        break;
    }
  }
}

}  // namespace

std::string EscapeHtml(absl::string_view s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

absl::StatusOr<Template> Template::Parse(absl::string_view text, const TemplateNames& names) {
  struct Open {
    std::vector<Node>* nodes;
    std::string name;
    int line;
  };
  auto root = std::make_shared<std::vector<Node>>();
  std::vector<Open> stack{{root.get(), "", 0}};
  int line = 1;
  size_t pos = 0;
  auto advance_lines = [&](absl::string_view chunk) {
    for (char c : chunk) line += c == '\n';
  };
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    const absl::string_view literal =
        text.substr(pos, open == absl::string_view::npos ? absl::string_view::npos : open - pos);
    if (!literal.empty())
      stack.back().nodes->push_back({Node::Type::kText, std::string(literal), {}});
    advance_lines(literal);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos)
      return absl::InvalidArgumentError(
          absl::StrCat("template line ", line, ": \"{{\" is not closed"));
    absl::string_view tag = text.substr(open + 2, close - open - 2);
    const int tag_line = line;
    advance_lines(tag);
    pos = close + 2;
    const char sigil = tag.empty() ? '\0' : tag[0];
    if (sigil == '#' || sigil == '^' || sigil == '/') tag.remove_prefix(1);
    const std::string name(tag);
    if (sigil == '/') {
      if (stack.size() == 1 || stack.back().name != name) {
        return absl::InvalidArgumentError(absl::StrCat("template line ", tag_line, ": {{/", name,
                                                       "}} closes no open {{#", name, "}}"));
      }
      stack.pop_back();
      continue;
    }
    if (sigil == '#' || sigil == '^') {
      if (!names.sections->contains(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("template line ", tag_line, ": unknown section \"", name, "\""));
      }
      auto& nodes = *stack.back().nodes;
      nodes.push_back({sigil == '#' ? Node::Type::kSection : Node::Type::kInverted, name, {}});
      stack.push_back({&nodes.back().children, name, tag_line});
      continue;
    }
    if (absl::StartsWith(name, kMessagePrefix)) {
      const std::string id = name.substr(kMessagePrefix.size());
      if (!names.messages->contains(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat("template line ", tag_line, ": no message \"", id,
                         "\" (the ids are those of client/gate/messages/en.textproto)"));
      }
      stack.back().nodes->push_back({Node::Type::kMessage, id, {}});
      continue;
    }
    if (!names.variables->contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("template line ", tag_line, ": unknown name \"", name, "\""));
    }
    stack.back().nodes->push_back({Node::Type::kVariable, name, {}});
  }
  if (stack.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("template line ", stack.back().line, ": {{#",
                                                   stack.back().name, "}} is never closed"));
  }
  Template t;
  t.nodes_ = std::move(root);
  t.raw_variable_ = names.raw_variable;
  return t;
}

void Template::Render(const TemplateValues& values, std::string* out) const {
  RenderNodes(*nodes_, values, raw_variable_, out);
}

}  // namespace anteroom::gate
