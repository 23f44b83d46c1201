// The Internet's top-level domains (the `tlds` package's list, ASCII forms and
// punycode only), for the places that must tell a bare domain ("example.com")
// from a word with a dot in it ("file.txt") the way the platforms do:
// Bluesky's facet detection and X's URL weighting. Pure, thread-safe.
#pragma once

#include <string_view>

namespace herald {

// Whether `label` is a top-level domain, compared exactly (lower case).
bool IsTopLevelDomain(std::string_view label);

}  // namespace herald
