#include "server/http/router.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

RouteHandler Named(std::string* hit, std::string name) {
  return [hit, name](HttpRequest, Responder) { *hit = name; };
}

TEST(Router, MatchesLiteralAndParameterSegmentsInTableOrder) {
  std::string hit;
  auto router = Router::Create({{"GET", "/v2/models/stats", Named(&hit, "all stats")},
                                {"GET", "/v2/models/{model}", Named(&hit, "metadata")},
                                {"GET", "/v2/models/{model}/versions/{version}", Named(&hit, "versioned")},
                                {"POST", "/v2/models/{model}/infer", Named(&hit, "infer")}});
  ASSERT_TRUE(router.ok()) << router.status().ToString();

  auto match = router->Find("GET", "/v2/models/stats");
  ASSERT_EQ(match.status, 200);
  (*match.handler)(HttpRequest{}, Responder{});
  EXPECT_EQ(hit, "all stats");

  match = router->Find("GET", "/v2/models/my%20model/versions/3");
  ASSERT_EQ(match.status, 200);
  (*match.handler)(HttpRequest{}, Responder{});
  EXPECT_EQ(hit, "versioned");
  EXPECT_EQ(match.params["model"], "my model");
  EXPECT_EQ(match.params["version"], "3");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  std::string hit;
  auto router = Router::Create({{"GET", "/v2/health/live", Named(&hit, "live")},
                                {"POST", "/v2/models/{model}/infer", Named(&hit, "infer")}});
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(router->Find("GET", "/v2/health/dead").status, 404);
  EXPECT_EQ(router->Find("GET", "/v2/health/live/extra").status, 404);
  EXPECT_EQ(router->Find("GET", "/v2/models//infer").status, 404);  // empty parameter
  EXPECT_EQ(router->Find("GET", "").status, 404);
  auto match = router->Find("GET", "/v2/models/m/infer");
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.allow, "POST");
  EXPECT_EQ(router->Find("DELETE", "/v2/health/live").status, 405);
}

TEST(Router, MalformedEscapeIs400) {
  std::string hit;
  auto router = Router::Create({{"GET", "/v2/models/{model}", Named(&hit, "m")}});
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(router->Find("GET", "/v2/models/a%2").status, 400);
  EXPECT_EQ(router->Find("GET", "/v2/models/a%zz").status, 400);
  auto match = router->Find("GET", "/v2/models/..%2Fx");
  ASSERT_EQ(match.status, 200);
  EXPECT_EQ(match.params["model"], "../x");  // decoded; the service refuses such names
}

TEST(Router, RejectsMalformedPatterns) {
  auto handler = [](HttpRequest, Responder) {};
  EXPECT_FALSE(Router::Create({{"GET", "v2", handler}}).ok());
  EXPECT_FALSE(Router::Create({{"GET", "/v2/{}", handler}}).ok());
  EXPECT_FALSE(Router::Create({{"GET", "/v2/{model", handler}}).ok());
  EXPECT_FALSE(Router::Create({{"GET", "/v2/{m}/x/{m}", handler}}).ok());
  EXPECT_FALSE(Router::Create({{"GET", "/v2/a{m}", handler}}).ok());
  EXPECT_FALSE(Router::Create({{"GET", "/v2", nullptr}}).ok());
  EXPECT_FALSE(Router::Create({{"", "/v2", handler}}).ok());
}

TEST(PercentDecode, DecodesEscapesOnly) {
  EXPECT_EQ(PercentDecode("a%2Fb+c").value(), "a/b+c");
  EXPECT_EQ(PercentDecode("%41%62").value(), "Ab");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("%g1").has_value());
}

}  // namespace
}  // namespace kiln::server
