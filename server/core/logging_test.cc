#include "server/core/logging.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

TEST(LoggingTest, JsonEscape) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("a \"quoted\" \\ path\nnext\t\x01"), "a \\\"quoted\\\" \\\\ path\\nnext\\t\\u0001");
}

TEST(LoggingTest, ParseLogFormat) {
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("xml").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::server
