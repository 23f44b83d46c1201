#include "core/hex.h"

#include <catch2/catch.hpp>

namespace herald {
namespace {

using namespace std::literals;

TEST_CASE("HexEncode writes two lower-case digits per byte") {
  CHECK(HexEncode(""sv) == "");
  CHECK(HexEncode("\x00\x0f\xa0\xff"sv) == "000fa0ff");
}

TEST_CASE("HexDecode reads either case and round-trips every byte") {
  CHECK(HexDecode("000FA0ff") == "\x00\x0f\xa0\xff"s);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(HexDecode(HexEncode(all)) == all);
}

TEST_CASE("HexDecode refuses an odd length and any other character") {
  CHECK_FALSE(HexDecode("abc").has_value());
  CHECK_FALSE(HexDecode("0g").has_value());
  CHECK_FALSE(HexDecode(" 0").has_value());
  CHECK_FALSE(HexDecode("0x00").has_value());
}

}  // namespace
}  // namespace herald
