// Server logging setup: spdlog's default logger writes to stderr, either as
// text lines or as JSON lines ({"time","level","message"}; the message is
// JSON-escaped) for log collectors. Loads, unloads and errors are logged at
// info/error level always; --log-verbose turns on debug lines (one per
// request). Call once at start-up, before other threads log.
#pragma once

#include <string_view>

#include "engine/core/status.h"

namespace kiln::server {

enum class LogFormat { kText, kJson };

// "text" or "json"; InvalidArgument otherwise.
Result<LogFormat> ParseLogFormat(std::string_view text);

// `verbose` > 0 logs debug lines too.
void ConfigureLogging(LogFormat format, int verbose);

// `text` with JSON string escaping (quotes, backslashes, control characters).
std::string JsonEscape(std::string_view text);

}  // namespace kiln::server
