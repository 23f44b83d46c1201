#include "policies/internal/events_reader.h"

#include <string>

#include "core/media_source.h"
#include "policies/internal/connector_reader.h"

namespace herald::policies::internal {
namespace {

std::string KnownTypes() {
  std::string out = "\"*\"";
  for (EventType t : kEventTypes) out += ", " + std::string(EventTypeName(t));
  return out;
}

// http(s), no literal internal address: a host name is checked again when a
// delivery resolves it (the operator's media_allow may allow an internal one).
void CheckUrl(const Located& at, const std::string& url, Diagnostics& diag) {
  auto parsed = ParseMediaUrl(url);
  if (!parsed) {
    std::string message = parsed.error().message();
    if (message.starts_with("a media URL")) message = "an event URL" + message.substr(11);
    diag.Error(at.mark, at.path, message);
    return;
  }
  if (auto ip = ParseIpAddress(parsed->host)) {
    if (std::string why = NonPublicReason(*ip); !why.empty()) {
      diag.Error(at.mark, at.path,
                 "refused: " + parsed->host + " is a " + why +
                     " address; events go to public addresses only (name an internal receiver by host name and "
                     "allow it with media_allow in the server config)");
    }
  }
}

std::optional<EventSubscription> ReadSubscription(const Located& at, Diagnostics& diag,
                                                  std::vector<std::pair<std::string, int>>& seen) {
  MapReader map(at, diag, {"url", "secret", "types"});
  if (!map.ok()) return std::nullopt;
  EventSubscription sub;
  bool ok = true;
  if (auto url = map.Required("url")) {
    if (auto text = ReadString(*url, diag)) {
      size_t before = diag.size();
      CheckUrl(*url, *text, diag);
      ok = ok && diag.size() == before;
      for (const auto& [other, line] : seen) {
        if (other == *text) {
          diag.Error(url->mark, url->path, "the same url as the subscription at line " + std::to_string(line) +
                                               "; give one subscription all its types");
          ok = false;
        }
      }
      seen.emplace_back(*text, url->mark.line + 1);
      sub.url = *text;
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto secret = map.Required("secret")) {
    if (auto text = ReadString(*secret, diag)) {
      if (auto ref = ParseSecretRef(*text)) {
        sub.secret = *ref;
      } else {
        diag.Error(secret->mark, secret->path, "inline secret; write env:NAME or file:/path (a whsec_ secret)");
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto types = map.Required("types")) {
    if (auto items = ReadSequence(*types, diag)) {
      if (items->empty()) {
        diag.Error(types->mark, types->path, "no event types; name some, or \"*\" for every type");
        ok = false;
      }
      for (const Located& item : *items) {
        auto name = ReadString(item, diag);
        if (!name) {
          ok = false;
        } else if (*name == "*") {
          sub.all = true;
        } else if (auto type = ParseEventType(*name)) {
          sub.types.push_back(*type);
        } else {
          diag.Error(item.mark, item.path, "unknown event type " + Quote(*name) + "; known: " + KnownTypes());
          ok = false;
        }
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  map.Finish();
  if (!ok) return std::nullopt;
  return sub;
}

}  // namespace

std::vector<EventSubscription> ReadEvents(const Located& at, Diagnostics& diag) {
  std::vector<EventSubscription> out;
  auto items = ReadSequence(at, diag);
  if (!items) return out;
  std::vector<std::pair<std::string, int>> seen;  // url, line
  for (const Located& item : *items) {
    if (auto sub = ReadSubscription(item, diag, seen)) out.push_back(std::move(*sub));
  }
  return out;
}

}  // namespace herald::policies::internal
