#include "api/internal/export_format.h"

#include <initializer_list>

#include "api/internal/json_codec.h"
#include "core/time.h"

namespace herald::api::internal {
namespace {

std::string TimeText(const std::optional<Instant>& t) { return t ? FormatRfc3339(*t) : ""; }

std::string Row(std::initializer_list<std::string_view> fields) {
  std::string out;
  for (auto f : fields) {
    if (!out.empty()) out += ',';
    out += CsvField(f);
  }
  return out + "\r\n";
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : " ") + l;
  return out;
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "jsonl") return ExportFormat::kJsonLines;
  if (name == "csv") return ExportFormat::kCsv;
  return std::nullopt;
}

std::string_view ExportContentType(ExportFormat format) {
  return format == ExportFormat::kCsv ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson";
}

std::string_view ExportExtension(ExportFormat format) { return format == ExportFormat::kCsv ? "csv" : "jsonl"; }

std::string CsvField(std::string_view value) {
  std::string text;
  if (!value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                         value.front() == '@' || value.front() == '\t' || value.front() == '\r')) {
    text = "'";
  }
  text += value;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PostsHeader(ExportFormat format) {
  if (format == ExportFormat::kJsonLines) return "";
  return Row({"id", "account", "state", "requested_at", "planned_at", "published_at", "author", "approved_by",
              "priority", "labels", "text", "media", "remote_url", "failure", "decision"});
}

std::string PostRow(ExportFormat format, const Post& p) {
  if (format == ExportFormat::kJsonLines) {
    return PostToJson(p).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string media;
  for (const auto& m : p.media) media += (media.empty() ? "" : " ") + m.url;
  return Row({std::to_string(p.id), p.account, PostStateName(p.state), FormatRfc3339(p.requested_at),
              TimeText(p.planned_at), TimeText(p.published_at), p.author, p.approved_by,
              p.priority == PostPriority::kUrgent ? "urgent" : "normal", JoinLabels(p.labels), p.text, media,
              p.remote_url, p.failure, DecisionSummary(p)});
}

std::string AuditHeader(ExportFormat format) {
  if (format == ExportFormat::kJsonLines) return "";
  return Row({"id", "at", "actor", "action", "post", "detail"});
}

std::string AuditRow(ExportFormat format, const storage::AuditEntry& e) {
  if (format == ExportFormat::kJsonLines) {
    return AuditEntryToJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return Row({std::to_string(e.id), FormatRfc3339(e.at), e.actor, e.action, e.post_id ? std::to_string(*e.post_id) : "",
              e.detail});
}

}  // namespace herald::api::internal
