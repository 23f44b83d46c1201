// Hexadecimal text for bytes, and back: digests, keys and key material in
// configuration files are written this way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald {

// Lower-case hex of the bytes: two digits per byte.
std::string HexEncode(std::string_view bytes);

// 2n hex digits (either case) into n bytes; nullopt for an odd length or any
// other character.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace herald
