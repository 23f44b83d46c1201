// Leakage detectors for content rules (policies/content.h): hand-written
// scanners for e-mail addresses, phone numbers, payment card numbers and
// secrets. ASCII shapes only. Internal to policies/. Pure; thread-safe; no
// regular expressions, so long texts cost linear time and never throw.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policies/internal/text.h"

namespace herald::policies::internal {

// A detector hit: its byte span and what it is, in words that never repeat
// the matched text ("AWS access key id").
struct Hit {
  Span span;
  std::string what;
};

// local@domain.tld: a dot in the domain and an alphabetic TLD of 2+ letters.
// Fediverse handles (@user@host.social) and bare @mentions are not e-mail.
std::vector<Hit> FindEmails(std::string_view text);

// 13-19 digits, bare or grouped with single spaces or dashes, issuer digit 2-6,
// passing the Luhn check.
std::vector<Hit> FindCards(std::string_view text);

// Phone numbers of 7-15 digits written as a phone: with a leading '+', an
// area code in parentheses, or two or more digit groups joined by single
// separators (space - . /). Dates, times, year ranges, prices, decimals, versions, IPv4
// addresses, thousands-grouped amounts and bare digit runs are not phones, and
// neither is anything FindCards reports.
std::vector<Hit> FindPhones(std::string_view text);

// Private keys, AWS access key ids, GitHub, Slack, Stripe, Google API keys,
// JWTs, Standard Webhooks secrets, and `api_key=` / `token:` style assignments
// of a 20+ character high-entropy value.
std::vector<Hit> FindSecrets(std::string_view text);

// The Luhn checksum over the ASCII digits of `digits` (other bytes skipped).
bool LuhnValid(std::string_view digits);

}  // namespace herald::policies::internal
