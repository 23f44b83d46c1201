#include "storage/internal/row_batches.h"

#include <catch2/catch.hpp>

#include <string>

namespace herald::storage::internal {
namespace {

Statement Row(int64_t n, std::string text) {
  return {"INSERT INTO t (a, b, c) VALUES (?, ?, 'x (y)') ON CONFLICT (a) DO NOTHING", {n, std::move(text)}};
}

TEST_CASE("CombineInserts makes one multi-row INSERT of many", "[storage]") {
  auto combined = CombineInserts({Row(1, "one"), Row(2, "two"), Row(3, "three")});
  REQUIRE(combined.has_value());
  REQUIRE(combined->size() == 1);
  CHECK(combined->front().sql ==
        "INSERT INTO t (a, b, c) VALUES (?, ?, 'x (y)'), (?, ?, 'x (y)'), (?, ?, 'x (y)') ON CONFLICT (a) DO NOTHING");
  CHECK(combined->front().values == SqlValues{int64_t{1}, std::string("one"), int64_t{2}, std::string("two"),
                                              int64_t{3}, std::string("three")});
}

TEST_CASE("CombineInserts splits at the row and value limits, keeping the order", "[storage]") {
  std::vector<Statement> rows;
  for (int i = 0; i < 1201; ++i) rows.push_back(Row(i, "r" + std::to_string(i)));
  auto combined = CombineInserts(rows);
  REQUIRE(combined.has_value());
  REQUIRE(combined->size() == 3);
  CHECK(combined->at(0).values.size() == 2 * kMaxRowsPerStatement);
  CHECK(combined->at(2).values.size() == 2 * (1201 - 2 * kMaxRowsPerStatement));
  int64_t next = 0;
  for (const Statement& s : *combined) {
    for (size_t v = 0; v < s.values.size(); v += 2) CHECK(std::get<int64_t>(s.values[v]) == next++);
  }
  CHECK(next == 1201);

  std::vector<Statement> wide;
  SqlValues many(kMaxValuesPerStatement / 3 + 1, SqlValue{int64_t{7}});
  for (int i = 0; i < 4; ++i) wide.push_back({"INSERT INTO w (x) VALUES (?)", many});
  auto split = CombineInserts(wide);
  REQUIRE(split.has_value());
  CHECK(split->size() == 2);
  for (const Statement& s : *split) CHECK(s.values.size() <= kMaxValuesPerStatement);
}

TEST_CASE("CombineInserts refuses what it cannot combine", "[storage]") {
  CHECK_FALSE(CombineInserts({Row(1, "a"), {"INSERT INTO u (a) VALUES (?)", {int64_t{2}}}}).has_value());
  CHECK_FALSE(CombineInserts({{"UPDATE t SET a = ?", {int64_t{1}}}}).has_value());
  CHECK_FALSE(CombineInserts({{"INSERT INTO t (a) VALUES (?", {int64_t{1}}}}).has_value());
  auto none = CombineInserts({});
  REQUIRE(none.has_value());
  CHECK(none->empty());
}

}  // namespace
}  // namespace herald::storage::internal
