// The stored form of the JSON objects herald keeps per post in the audit log
// (`detail`) and the event log (`payload`): the same object with shorter keys,
// times as unix seconds, a post's state as its number in a fixed table,
// reasons as [rule, detail, posts] arrays, the
// organisation the row already names left out, and an audit summary that its
// reasons spell out kept as its first words only. Nothing is lost: Unpack gives
// back exactly the bytes Pack was given, and Pack keeps a text as it is when
// packing it would not (a text that is not an object herald writes).
//
// A packed text starts with kPackedPrefix, which no JSON text starts with,
// so rows written before packing (plain JSON) are read back unchanged. The key
// table and the rules are part of the stored format: never change them; a
// new form gets a new prefix.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace herald::storage::internal {

inline constexpr std::string_view kPackedPrefix = "~1";
// Put before a text that starts with '~' itself (no JSON does), so that it
// is never taken for a packed one.
inline constexpr std::string_view kVerbatimPrefix = "~0";

// The stored form of `text`, a JSON object written in a row of
// `organization`: packed when that gives back `text` byte for byte, else
// `text` itself.
std::string PackJson(std::string_view text, std::string_view organization);

// A JSON object as text (what readers get back) and as stored.
struct PackedJson {
  std::string text;
  std::string stored;
};

// `value` printed as herald prints it (invalid UTF-8 replaced) and what
// PackJson gives for that text, built from the value itself: nothing is
// parsed. The way back is checked on the values (Unpack of the packed value
// equals `value`, which for values without floating-point numbers means the
// same text); a value with a floating-point number or text that prints as
// U+FFFD (invalid UTF-8 is printed so) takes PackJson's path.
PackedJson PackJsonValue(const nlohmann::json& value, std::string_view organization);

// What PackJson was given, for a stored text of a row of `organization`. A
// text without kPackedPrefix comes back as it is.
std::string UnpackJson(std::string_view stored, std::string_view organization);

}  // namespace herald::storage::internal
