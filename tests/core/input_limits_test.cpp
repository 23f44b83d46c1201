#include "core/input_limits.h"

#include <catch2/catch.hpp>

namespace {

using herald::CheckPostInput;
using herald::InputLimits;
using herald::LabelProblem;

const herald::Instant kNow = *herald::ParseRfc3339("2026-03-10T14:00:00Z");

}  // namespace

TEST_CASE("Input limits: the label alphabet and length", "[limits]") {
  for (const char* ok : {"a", "promotional", "Team-A_b.c:d/e9", "0"}) CHECK_FALSE(LabelProblem(ok));
  CHECK(LabelProblem(std::string(64, 'a')) == std::nullopt);
  for (std::string bad : {std::string(), std::string(65, 'a'), std::string("a b"), std::string("caf\xc3\xa9"),
                          std::string("x\ny"), std::string("<b>"), std::string("a,b"), std::string(1, '\0')}) {
    INFO(bad);
    CHECK(LabelProblem(bad));
  }
}

TEST_CASE("Input limits: horizon, text size and label count name their field", "[limits]") {
  InputLimits limits;
  limits.horizon = std::chrono::days{7};
  limits.max_text_bytes = 10;
  std::string text = "0123456789";
  std::vector<std::string> labels(16, "ok");
  CHECK(CheckPostInput(limits, kNow, kNow + std::chrono::days{7}, &text, &labels));
  CHECK(CheckPostInput(limits, kNow, std::nullopt, nullptr, nullptr));

  auto late = CheckPostInput(limits, kNow, kNow + std::chrono::days{7} + std::chrono::seconds{1}, nullptr, nullptr);
  REQUIRE_FALSE(late);
  CHECK(late.error().code() == herald::Code::kInvalidArgument);
  CHECK(late.error().where().path == "at");

  std::string long_text = text + "!";
  auto big = CheckPostInput(limits, kNow, std::nullopt, &long_text, nullptr);
  REQUIRE_FALSE(big);
  CHECK(big.error().where().path == "text");

  labels.push_back("ok");
  auto many = CheckPostInput(limits, kNow, std::nullopt, nullptr, &labels);
  REQUIRE_FALSE(many);
  CHECK(many.error().where().path == "labels");

  std::vector<std::string> one_bad{"ok", "ok", "no good"};
  auto bad = CheckPostInput(limits, kNow, std::nullopt, nullptr, &one_bad);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().where().path == "labels/2");
}
