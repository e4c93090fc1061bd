#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace anteroom::gate {

// How a server behind the gate may read a request's path. Servers disagree on paths no browser
// sends (a browser resolves "." and ".." segments, "%2e" ones included, turns '\' into '/',
// and escapes only what it must); a gate that routes by one reading while the origin serves
// by another lets a visitor walk from one route into another. So the gate reads a path every
// way below and refuses it when two readings fall to different routes (RouteTable::Match).
struct PathReading {
  enum class Decoding {
    kNone,              // escapes kept as sent (a server that matches the raw path)
    kExceptDelimiters,  // all but those of '/', '\', ';', '.' and '%' ("%2f", "%252e")
    kOnce,              // every escape, once: "%252e" is "%2e"
    kRepeated,          // every escape, up to three times: "%252e" is "."
  };
  enum class Dots {
    kAfterDecoding,  // "." and ".." segments resolved once decoded ("%2e%2e" is "..")
    kLiteralOnly,    // only those written as such, before decoding ("%2e%2e" is a name)
    kNever,          // none: "/a/../b" is under /a
  };
  Decoding decoding = Decoding::kRepeated;
  Dots dots = Dots::kAfterDecoding;
  // '\' separates segments (as in Windows servers), or is a character of a segment.
  bool backslash_separates = true;
  // ";params" cut from each segment ("/a;jsessionid=1" is "/a"), or part of it.
  bool cut_params = true;
  // Repeated slashes merged ("//a" is "/a"), or empty segments ("//a" is not under "/a").
  bool merge_slashes = true;
  // Segments named as Windows names them: trailing dots and spaces dropped ("a." and "a "
  // are "a"), an NTFS stream cut off ("a::$DATA" is "a"), and IIS's %uXXXX escapes decoded.
  bool windows_names = false;
};

// `uri`'s path (without the query: cut at the first '?' as sent; a '#' is part of the path,
// as servers that do not expect one read it) read as `reading` says, in lower case: "/" then
// the segments joined by '/', without a trailing '/'.
std::string ReadPath(absl::string_view uri, const PathReading& reading);

// The reading of a server that decodes everything (PathReading's defaults):
// "/%74ickets//a/../B;x=1/?q" is "/tickets/b". Routes' prefixes are kept in this form.
std::string CanonicalPath(absl::string_view uri);

// A canonical path as a browser sends it, in lower case (the form a raw reading of the
// same path takes): bytes a browser escapes in a path (controls, space, '"', '#', '%', '<',
// '>', '?', '`', '{', '}', and all of UTF-8 beyond ASCII) as %xx.
std::string RawForm(absl::string_view canonical_path);

// Whether a segment of `uri`'s path may be a Windows short (8.3) name, "TICKET~1": another
// spelling of a name no reading can tell (RouteTable::Match refuses such a path).
bool HasShortName(absl::string_view uri);

// One reading of a path: a raw one (PathReading::Decoding::kNone) compares with a prefix's
// RawForm, the others with the prefix itself.
struct ReadPathResult {
  std::string path;
  bool raw = false;
  bool operator==(const ReadPathResult& other) const {
    return path == other.path && raw == other.raw;
  }
};

// Every distinct reading of `uri`, over the PathReading combinations (Windows names read
// once or twice decoded, with '\' splitting and dots resolved, as IIS does); the canonical
// one first. A path with nothing to read two ways (no '%', '\', ';', ':', "//", "/." or a
// segment ending in '.', nothing a browser escapes) has one.
std::vector<ReadPathResult> PathReadings(absl::string_view uri);

}  // namespace anteroom::gate
