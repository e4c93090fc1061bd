#pragma once

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace anteroom::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);

// Writes one line "2026-11-22T03:55:00.123Z INFO message" to stderr. Thread-safe.
void LogLine(LogLevel level, absl::string_view message);

template <typename... Args>
void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  LogLine(level, absl::StrFormat(format, args...));
}

}  // namespace anteroom::base

#define ANTEROOM_LOG(level, ...) \
  ::anteroom::base::Log(::anteroom::base::LogLevel::level, __VA_ARGS__)
