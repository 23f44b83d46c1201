#include "connectors/mastodon/mastodon_inbox.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "connectors/platform_http.h"

namespace herald::connectors::mastodon {
namespace {

using json = nlohmann::json;
using Kind = InboxReadResult::Kind;
constexpr std::string_view kPlatform = "mastodon";
// A page of 40 notifications with their accounts and statuses is some
// hundred KB; an answer larger than this is not read.
constexpr size_t kMaxPageBytes = 4 * 1024 * 1024;
// Each item's text is kept to this many bytes (a status is 500 characters
// on most instances; some allow more).
constexpr size_t kMaxTextBytes = 20000;

// Mastodon ids are decimal numbers as strings: a longer one is larger.
bool IdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return {};
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the character reference at html[i] ('&'); advances i past it.
void DecodeReference(std::string_view html, size_t& i, std::string& out) {
  size_t end = html.find(';', i);
  if (end == std::string_view::npos || end - i > 10) {
    out += '&';
    ++i;
    return;
  }
  std::string_view name = html.substr(i + 1, end - i - 1);
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"}};
  for (const auto& [n, text] : kNamed) {
    if (name == n) {
      out += text;
      i = end + 1;
      return;
    }
  }
  if (name.size() > 1 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    uint32_t cp = 0;
    bool ok = !digits.empty();
    for (char c : digits) {
      int v = (c >= '0' && c <= '9') ? c - '0'
              : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                               : -1;
      if (v < 0 || cp > 0x10FFFF) {
        ok = false;
        break;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (ok) {
      AppendUtf8(out, cp);
      i = end + 1;
      return;
    }
  }
  out += '&';
  ++i;
}

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return c != ' ' && c != '\n' && c != '\t' && c != '\r'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::optional<InboxMessage> ReadNotification(const json& n) {
  const json& status = n.is_object() && n.contains("status") ? n["status"] : json();
  if (!status.is_object()) return std::nullopt;  // the status was deleted meanwhile
  InboxMessage m;
  m.remote_id = Str(status, "id");
  if (m.remote_id.empty()) return std::nullopt;
  m.in_reply_to = Str(status, "in_reply_to_id");
  m.kind = m.in_reply_to.empty() ? InboxKind::kMention : InboxKind::kReply;
  const json& account = status.contains("account") ? status["account"] : n.value("account", json());
  std::string acct = Str(account, "acct");
  m.author = acct.empty() ? "" : "@" + acct;
  m.author_name = Str(account, "display_name");
  m.text = StatusText(Str(status, "content"));
  if (m.text.size() > kMaxTextBytes) {
    size_t cut = kMaxTextBytes;
    while (cut > 0 && (static_cast<unsigned char>(m.text[cut]) & 0xC0) == 0x80) --cut;
    m.text.resize(cut);
  }
  m.language = Str(status, "language");
  m.url = Str(status, "url");
  if (m.url.empty()) m.url = Str(status, "uri");
  if (auto t = ParseRfc3339(Str(status, "created_at"))) m.created_at = *t;
  else if (auto nt = ParseRfc3339(Str(n, "created_at"))) m.created_at = *nt;
  m.reply_ref = m.remote_id;
  return m;
}

}  // namespace

std::string StatusText(std::string_view html) {
  std::string out;
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;  // an unfinished tag ends the text
      std::string tag;
      for (size_t k = i + 1; k < end && tag.size() < 4; ++k) {
        char t = html[k];
        if (t == ' ' || (t == '/' && !tag.empty())) break;
        tag += static_cast<char>((t >= 'A' && t <= 'Z') ? t - 'A' + 'a' : t);
      }
      if (tag == "br" || tag == "br/") out += '\n';
      else if (tag == "/p" && end + 1 < html.size()) out += "\n\n";
      i = end + 1;
    } else if (c == '&') {
      DecodeReference(html, i, out);
    } else {
      out += c;
      ++i;
    }
  }
  return Trim(std::move(out));
}

InboxReadResult ReadMastodonInbox(const HttpClient& http, const std::string& base_url, const std::string& token,
                                  const InboxReadRequest& request) {
  std::string url = base_url + "/api/v1/notifications?types%5B%5D=mention&limit=" + std::to_string(kMastodonInboxPage);
  if (!request.cursor.empty()) url += "&min_id=" + PercentEncode(request.cursor);
  HttpRequest get = EngagementGet(std::move(url), token);
  get.max_body = kMaxPageBytes;
  HttpResult r = http.Send(get);
  InboxReadResult out;
  if (auto failure = ReadEngagementFailure(kPlatform, r, request.now)) {
    // A read is safe to repeat, and "gone" means nothing for a list.
    out.kind = failure->kind == EngagementResult::Kind::kFailed ? Kind::kFailed : Kind::kRetryLater;
    if (failure->kind == EngagementResult::Kind::kGone) out.kind = Kind::kFailed;
    out.retry_at = failure->retry_at;
    out.why = failure->why;
    out.http_status = failure->http_status;
    return out;
  }
  json page = json::parse(r->body, nullptr, false);
  if (!page.is_array()) {
    out.kind = Kind::kFailed;
    out.why = "mastodon: the notifications answer is not a JSON array";
    out.http_status = r->status;
    return out;
  }
  out.kind = Kind::kRead;
  out.http_status = r->status;
  out.hold_until = ReadsHoldAfterSuccess(*r, request.now);
  out.cursor = request.cursor;
  std::vector<std::pair<std::string, InboxMessage>> read;
  for (const json& n : page) {
    std::string id = Str(n, "id");
    if (id.empty()) continue;
    if (out.cursor.empty() || IdLess(out.cursor, id)) out.cursor = id;
    if (Str(n, "type") != "mention") continue;
    if (auto m = ReadNotification(n)) read.emplace_back(id, std::move(*m));
  }
  std::sort(read.begin(), read.end(), [](const auto& a, const auto& b) { return IdLess(a.first, b.first); });
  for (auto& [id, m] : read) out.items.push_back(std::move(m));
  // An inbox still empty at the first read: everything that comes later is
  // new, so the next reads start from the beginning rather than from the
  // newest page again (which would skip whatever came between two reads).
  if (out.cursor.empty()) out.cursor = "0";
  // min_id gives the page just after the cursor: a full page may have more after it.
  out.more = !request.cursor.empty() && static_cast<int>(page.size()) >= kMastodonInboxPage;
  return out;
}

}  // namespace herald::connectors::mastodon
