#include "client/gate/path_readings.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace anteroom::gate {
namespace {

using Decoding = PathReading::Decoding;
using Dots = PathReading::Dots;

bool HexValue(char c, int* v) {
  if (!absl::ascii_isxdigit(c)) return false;
  *v = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
  return true;
}

// Characters whose escapes a server may or may not decode before it splits a path.
bool IsDelimiter(char c) { return c == '/' || c == '\\' || c == ';' || c == '.' || c == '%'; }

// %XX decoded once (invalid escapes left as they are); without `delimiters`, escapes of
// IsDelimiter characters are kept as written.
std::string DecodeOnce(absl::string_view s, bool delimiters) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1], &hi) && HexValue(s[i + 2], &lo)) {
      const char c = static_cast<char>(hi * 16 + lo);
      if (delimiters || !IsDelimiter(c)) {
        out += c;
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// IIS's %uXXXX escapes of ASCII characters decoded ("%u0074" is 't').
std::string DecodeIisUnicode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int d[4];
    if (s[i] == '%' && i + 5 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
        HexValue(s[i + 2], &d[0]) && HexValue(s[i + 3], &d[1]) && HexValue(s[i + 4], &d[2]) &&
        HexValue(s[i + 5], &d[3])) {
      const int c = ((d[0] * 16 + d[1]) * 16 + d[2]) * 16 + d[3];
      if (c > 0 && c < 0x80) {
        out += static_cast<char>(c);
        i += 5;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string Decode(absl::string_view s, Decoding decoding) {
  std::string out(s);
  if (decoding == Decoding::kNone) return out;
  const int times = decoding == Decoding::kOnce ? 1 : 3;  // three covers "%25252e"
  for (int i = 0; i < times && out.find('%') != std::string::npos; ++i) {
    std::string next = DecodeOnce(out, decoding != Decoding::kExceptDelimiters);
    if (next == out) break;
    out = std::move(next);
  }
  return out;
}

// The segments of `path` split at '/' (and '\' when `backslash`): "/a//b/" is "", "a", "",
// "b", "".
std::vector<absl::string_view> Split(absl::string_view path, bool backslash) {
  std::vector<absl::string_view> segments;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || (backslash && path[i] == '\\')) {
      segments.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return segments;
}

// What a browser escapes in a path (the WHATWG URL standard's path percent-encode set, and
// '%' itself, which a canonical path holds only where it was sent escaped).
bool BrowserEscapes(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '"' || c == '#' || c == '%' || c == '<' || c == '>' ||
         c == '?' || c == '`' || c == '{' || c == '}';
}

}  // namespace

std::string ReadPath(absl::string_view uri, const PathReading& reading) {
  const absl::string_view path = uri.substr(0, uri.find('?'));
  // Decoded before splitting (dots resolved after decoding), or each segment after.
  const bool decode_first = reading.dots == Dots::kAfterDecoding;
  const std::string decoded =
      decode_first ? Decode(reading.windows_names ? DecodeIisUnicode(path) : std::string(path),
                            reading.decoding)
                   : std::string();
  std::vector<absl::string_view> raw =
      Split(decode_first ? absl::string_view(decoded) : path, reading.backslash_separates);
  // The path starts with its separator: the empty segment before it is the root.
  if (!raw.empty() && raw.front().empty()) raw.erase(raw.begin());
  std::vector<std::string> out;
  for (absl::string_view segment : raw) {
    if (reading.cut_params) segment = segment.substr(0, segment.find(';'));
    if (reading.windows_names && segment != "." && segment != "..") {
      segment = segment.substr(0, segment.find(':'));
      while (!segment.empty() && (segment.back() == '.' || segment.back() == ' '))
        segment.remove_suffix(1);
    }
    if (reading.dots != Dots::kNever && (segment == "." || segment == "..")) {
      if (segment == ".." && !out.empty()) out.pop_back();
      continue;
    }
    // Decoded after the dots: what it decodes to ("..", "a/b") is a name, not structure.
    std::string name = decode_first ? std::string(segment) : Decode(segment, reading.decoding);
    if (name.empty() && reading.merge_slashes) continue;
    absl::AsciiStrToLower(&name);
    out.push_back(std::move(name));
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  return result;
}

std::string CanonicalPath(absl::string_view uri) { return ReadPath(uri, PathReading()); }

std::string RawForm(absl::string_view canonical_path) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : canonical_path) {
    const auto byte = static_cast<unsigned char>(c);
    if (BrowserEscapes(byte)) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += absl::ascii_tolower(c);
    }
  }
  return out;
}

bool HasShortName(absl::string_view uri) {
  const absl::string_view path = uri.substr(0, uri.find('?'));
  for (absl::string_view segment : absl::StrSplit(path, absl::ByAnyChar("/\\"))) {
    // 1 to 6 characters, '~', digits, and an extension of up to 3: "PROGRA~1", "TICKET~2.ASP".
    const size_t tilde = segment.find('~');
    if (tilde == absl::string_view::npos || tilde == 0 || tilde > 6) continue;
    absl::string_view rest = segment.substr(tilde + 1);
    const size_t dot = rest.find('.');
    const absl::string_view digits = rest.substr(0, dot);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) continue;
    if (dot == absl::string_view::npos || rest.size() - dot - 1 <= 3) return true;
  }
  return false;
}

std::vector<ReadPathResult> PathReadings(absl::string_view uri) {
  const absl::string_view path = uri.substr(0, uri.find('?'));
  std::vector<ReadPathResult> readings = {{CanonicalPath(path), false}};
  // A path that does not start at the root is not a browser's either.
  bool ambiguous = path.empty() || path[0] != '/';
  for (size_t i = 0; i < path.size() && !ambiguous; ++i) {
    const char c = path[i];
    const char next = i + 1 < path.size() ? path[i + 1] : '/';
    ambiguous = BrowserEscapes(static_cast<unsigned char>(c)) || c == '\\' || c == ';' ||
                c == ':' || (c == '/' && i + 1 < path.size() && (next == '/' || next == '.')) ||
                (c == '.' && next == '/');
  }
  if (!ambiguous) return readings;
  auto add = [&](const PathReading& reading) {
    ReadPathResult read{ReadPath(path, reading), reading.decoding == Decoding::kNone};
    if (std::find(readings.begin(), readings.end(), read) == readings.end())
      readings.push_back(std::move(read));
  };
  for (Decoding decoding : {Decoding::kOnce, Decoding::kRepeated}) {
    PathReading windows;
    windows.decoding = decoding;
    windows.cut_params = false;
    windows.windows_names = true;
    add(windows);
  }
  for (Decoding decoding :
       {Decoding::kNone, Decoding::kExceptDelimiters, Decoding::kOnce, Decoding::kRepeated}) {
    for (Dots dots : {Dots::kAfterDecoding, Dots::kLiteralOnly, Dots::kNever}) {
      for (int bits = 0; bits < 8; ++bits) {
        PathReading reading;
        reading.decoding = decoding;
        reading.dots = dots;
        reading.backslash_separates = !(bits & 1);
        reading.cut_params = !(bits & 2);
        reading.merge_slashes = !(bits & 4);
        add(reading);
      }
    }
  }
  return readings;
}

}  // namespace anteroom::gate
