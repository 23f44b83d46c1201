#include "oauth/internal/redact.h"

namespace herald::oauth::internal {
namespace {

constexpr size_t kMaxQuoted = 200;

}  // namespace

std::string Quoted(std::string text, const SentFields& sent, const std::vector<std::string>& secrets) {
  auto blank = [&](const std::string& value) {
    // Shorter values are not secrets (and would blank ordinary words).
    if (value.size() < 4) return;
    for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at)) {
      text.replace(at, value.size(), "[redacted]");
    }
  };
  for (const auto& [name, value] : sent) {
    if (name != "grant_type" && name != "redirect_uri" && name != "client_id") blank(value);
  }
  for (const auto& secret : secrets) blank(secret);
  return Printable(text, kMaxQuoted);
}

std::string Printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace herald::oauth::internal
