#include "storage/internal/row_batches.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

namespace herald::storage::internal {
namespace {

Statement Row(int64_t n, std::string text) {
  return {"INSERT INTO t (a, b, c) VALUES (?, ?, 'x (y)') ON CONFLICT (a) DO NOTHING", {n, std::move(text)}};
}

TEST_CASE("CombineInserts makes one multi-row INSERT of many", "[storage]") {
  auto combined = CombineInserts({Row(1, "one"), Row(2, "two"), Row(3, "three"), Row(4, "four")});
  REQUIRE(combined.has_value());
  REQUIRE(combined->size() == 1);
  CHECK(combined->front().sql ==
        "INSERT INTO t (a, b, c) VALUES (?, ?, 'x (y)'), (?, ?, 'x (y)'), (?, ?, 'x (y)'), (?, ?, 'x (y)')"
        " ON CONFLICT (a) DO NOTHING");
  CHECK(combined->front().values == SqlValues{int64_t{1}, std::string("one"), int64_t{2}, std::string("two"),
                                              int64_t{3}, std::string("three"), int64_t{4}, std::string("four")});
  // Three rows are a statement of two and one of one.
  auto three = CombineInserts({Row(1, "one"), Row(2, "two"), Row(3, "three")});
  REQUIRE(three.has_value());
  REQUIRE(three->size() == 2);
  CHECK(three->at(1).sql == Row(3, "three").sql);
  CHECK(three->at(1).values == Row(3, "three").values);
}

TEST_CASE("RowChunks writes any count in a few power-of-two sizes", "[storage]") {
  CHECK(RowChunks(500, 256) == std::vector<size_t>{256, 128, 64, 32, 16, 4});
  CHECK(RowChunks(1, 256) == std::vector<size_t>{1});
  CHECK(RowChunks(0, 256).empty());
  CHECK(RowChunks(7, 5) == std::vector<size_t>{4, 2, 1});  // a cap rounds down to a power of two
  CHECK(RowChunks(3, 0) == std::vector<size_t>{1, 1, 1});
  std::set<size_t> sizes;
  for (size_t rows = 1; rows <= 2000; ++rows) {
    size_t sum = 0;
    for (size_t n : RowChunks(rows, 256)) {
      CHECK((n & (n - 1)) == 0);
      CHECK(n <= 256);
      sum += n;
      sizes.insert(n);
    }
    CHECK(sum == rows);
  }
  CHECK(sizes.size() == 9);  // 1, 2, 4 ... 256: at most nine texts per statement
}

TEST_CASE("CombineInserts splits at the row and value limits, keeping the order", "[storage]") {
  std::vector<Statement> rows;
  for (int i = 0; i < 1201; ++i) rows.push_back(Row(i, "r" + std::to_string(i)));
  auto combined = CombineInserts(rows);
  REQUIRE(combined.has_value());
  REQUIRE(combined->size() == RowChunks(1201, kMaxRowsPerStatement).size());
  CHECK(combined->at(0).values.size() == 2 * kMaxRowsPerStatement);
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
