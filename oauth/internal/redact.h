// What herald may quote of an authorization server's answer: every value the
// request sent (codes, tokens, the client secret) blanked out, control
// characters replaced, cut to a length a log line can hold. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::oauth::internal {

using SentFields = std::vector<std::pair<std::string, std::string>>;

// `text` with each value of `sent` but grant_type, redirect_uri and client_id
// (public), and each of `secrets`, replaced by "[redacted]".
std::string Quoted(std::string text, const SentFields& sent, const std::vector<std::string>& secrets = {});

// Text a platform chose (a Page's name) as one short printable line.
std::string Printable(std::string_view text, size_t max = 100);

}  // namespace herald::oauth::internal
