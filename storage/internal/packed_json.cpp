#include "storage/internal/packed_json.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/time.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

// Long key, stored key. Stored keys are no key herald writes, so the table
// reads both ways; an object already holding a stored key fails the
// round trip and is kept as it is.
constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kKeys = {{
    {"account", "a"},      {"answers_item", "A"}, {"text", "x"},      {"state", "s"},     {"planned_at", "p"},
    {"reasons", "r"},      {"post", "P"},         {"id", "i"},        {"labels", "l"},    {"published_at", "u"},
    {"remote_id", "R"},    {"remote_url", "U"},   {"failure", "f"},   {"previous", "v"},  {"organization", "o"},
    {"why", "w"},          {"from", "F"},         {"note", "n"},      {"violations", "V"}, {"to", "t"},
    {"until", "T"},
}};

// A post's state by its place here; a name not here stays text.
constexpr std::array<std::string_view, 10> kStates = {"pending_approval", "scheduled", "publishing", "published",
                                                      "failed",           "unconfirmed", "rejected", "cancelled",
                                                      "refused",          "missed"};
// Keys whose RFC 3339 text is kept as unix seconds.
constexpr std::array<std::string_view, 5> kTimeKeys = {"planned_at", "published_at", "from", "until", "due_at"};
// Keys holding a list of reasons ({rule, detail[, posts]} objects).
constexpr std::array<std::string_view, 2> kReasonKeys = {"reasons", "violations"};
// The audit summary kept as the words before its reasons.
const std::string kSummaryHead = "S";

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

template <size_t N>
bool In(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

std::string_view Rename(std::string_view key, bool packing) {
  for (const auto& [long_key, short_key] : kKeys) {
    if ((packing ? long_key : short_key) == key) return packing ? short_key : long_key;
  }
  return key;
}

// What Decision::Summary writes after its first words for these reasons:
// ": rule detail; rule detail" (a content rule's detail after ": ").
std::string ReasonsTail(const json& reasons) {
  std::string out;
  bool first = true;
  for (const json& r : reasons) {
    if (!r.is_object() || !r.contains("rule") || !r.contains("detail") || !r["rule"].is_string() ||
        !r["detail"].is_string()) {
      return {};
    }
    const std::string& rule = r["rule"].get_ref<const std::string&>();
    const std::string& detail = r["detail"].get_ref<const std::string&>();
    out += first ? ": " : "; ";
    first = false;
    out += rule;
    if (!detail.empty()) {
      out += rule.starts_with("content.") ? ": " : " ";
      out += detail;
    }
  }
  return out;
}

json PackReason(const json& r) {
  if (!r.is_object() || !r.contains("rule") || !r.contains("detail")) return r;
  if (r.size() == 2) return json::array({r["rule"], r["detail"]});
  if (r.size() == 3 && r.contains("posts")) return json::array({r["rule"], r["detail"], r["posts"]});
  return r;
}

json UnpackReason(const json& r) {
  if (!r.is_array() || r.size() < 2 || r.size() > 3) return r;
  json out = {{"rule", r[0]}, {"detail", r[1]}};
  if (r.size() == 3) out["posts"] = r[2];
  return out;
}

json Transform(const json& value, bool packing);

json TransformMember(std::string_view key, const json& value, bool packing) {
  if (key == "state") {
    if (packing && value.is_string()) {
      for (size_t i = 0; i < kStates.size(); ++i) {
        if (kStates[i] == value.get_ref<const std::string&>()) return i;
      }
    }
    // Parsed text holds a number >= 0 as unsigned; a value built in memory
    // may hold it signed, and must unpack the same (PackJsonValue).
    if (!packing && value.is_number_integer() && value.get<int64_t>() >= 0 &&
        value.get<uint64_t>() < kStates.size()) {
      return std::string(kStates[value.get<size_t>()]);
    }
  }
  if (In(kTimeKeys, key)) {
    if (packing && value.is_string()) {
      auto t = ParseRfc3339(value.get_ref<const std::string&>());
      if (t && FormatRfc3339(*t) == value.get_ref<const std::string&>()) return t->time_since_epoch().count();
    }
    if (!packing && value.is_number_integer()) {
      return FormatRfc3339(Instant(std::chrono::seconds(value.get<int64_t>())));
    }
  }
  if (In(kReasonKeys, key) && value.is_array()) {
    json out = json::array();
    for (const json& r : value) out.push_back(packing ? PackReason(Transform(r, true)) : Transform(UnpackReason(r), false));
    return out;
  }
  return Transform(value, packing);
}

json Transform(const json& value, bool packing) {
  if (value.is_array()) {
    json out = json::array();
    for (const json& v : value) out.push_back(Transform(v, packing));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, member] : value.items()) {
    // Time and reason keys are known by their long names.
    std::string_view long_key = packing ? std::string_view(key) : Rename(key, false);
    std::string_view stored_key = packing ? Rename(key, true) : std::string_view(key);
    json transformed = TransformMember(long_key, member, packing);
    out[std::string(packing ? stored_key : long_key)] = std::move(transformed);
  }
  return out;
}

json Pack(const json& j, std::string_view organization) {
  json packed = Transform(j, true);
  if (j.contains("organization") && j["organization"] == organization) packed["o"] = 0;
  if (j.contains("summary") && j["summary"].is_string() && j.contains("reasons") && j["reasons"].is_array() &&
      !j["reasons"].empty()) {
    const std::string& summary = j["summary"].get_ref<const std::string&>();
    std::string tail = ReasonsTail(j["reasons"]);
    if (!tail.empty() && summary.size() > tail.size() && summary.ends_with(tail)) {
      packed.erase("summary");
      packed[kSummaryHead] = summary.substr(0, summary.size() - tail.size());
    }
  }
  return packed;
}

json Unpack(const json& packed, std::string_view organization) {
  json j = Transform(packed, false);
  if (j.contains("organization") && j["organization"] == 0) j["organization"] = std::string(organization);
  if (j.contains(kSummaryHead) && j[kSummaryHead].is_string() && j.contains("reasons")) {
    j["summary"] = j[kSummaryHead].get<std::string>() + ReasonsTail(j["reasons"]);
    j.erase(kSummaryHead);
  }
  return j;
}

bool HasFloat(const json& value) {
  if (value.is_number_float()) return true;
  if (value.is_structured()) {
    for (const json& v : value) {
      if (HasFloat(v)) return true;
    }
  }
  return false;
}

}  // namespace

PackedJson PackJsonValue(const json& value, std::string_view organization) {
  std::string text = Dump(value);
  // Printing replaces invalid UTF-8 with U+FFFD, so parsing the text would
  // not give `value` back: such a value (rare) takes the way through text.
  if (!value.is_object() || HasFloat(value) || text.find("\xEF\xBF\xBD") != std::string::npos) {
    std::string stored = PackJson(text, organization);
    return {std::move(text), std::move(stored)};
  }
  // PackJson parses `text` back into this value (with numbers >= 0 unsigned,
  // which Pack and Unpack treat as signed ones), so the same checks on the
  // value decide the same way.
  json packed = Pack(value, organization);
  std::string stored = std::string(kPackedPrefix) + Dump(packed);
  if (stored.size() >= text.size() || Unpack(packed, organization) != value) stored = text;
  return {std::move(text), std::move(stored)};
}

std::string PackJson(std::string_view text, std::string_view organization) {
  if (text.starts_with("~")) return std::string(kVerbatimPrefix) + std::string(text);
  if (text.empty() || text.front() != '{') return std::string(text);
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::string(text);
  std::string packed = std::string(kPackedPrefix) + Dump(Pack(parsed, organization));
  if (packed.size() >= text.size() || UnpackJson(packed, organization) != text) return std::string(text);
  return packed;
}

std::string UnpackJson(std::string_view stored, std::string_view organization) {
  if (stored.starts_with(kVerbatimPrefix)) return std::string(stored.substr(kVerbatimPrefix.size()));
  if (!stored.starts_with(kPackedPrefix)) return std::string(stored);
  json packed = json::parse(stored.substr(kPackedPrefix.size()), nullptr, false);
  // Only PackJson writes the prefix, and it checked the way back.
  if (packed.is_discarded()) return std::string(stored);
  return Dump(Unpack(packed, organization));
}

}  // namespace herald::storage::internal
