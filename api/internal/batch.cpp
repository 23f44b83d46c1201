#include "api/internal/batch.h"

#include <algorithm>

#include "api/internal/csv.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

constexpr std::string_view kColumns[] = {"id", "account", "at", "text", "labels", "priority", "media_url", "media_alt"};

BatchLine FromObject(int number, json object) {
  BatchLine line;
  line.line = number;
  if (object.is_object() && object.contains("id")) {
    const json& id = object["id"];
    if (id.is_string() && !id.get<std::string>().empty() && id.get<std::string>().size() <= 128) {
      line.id = id.get<std::string>();
    } else if (id.is_number_integer()) {
      line.id = id.dump();
    } else {
      line.request = std::unexpected(BodyErrors{{"/id", "id must be a string of 1-128 characters or an integer"}});
      return line;
    }
    object.erase("id");
  }
  line.canonical = object;
  line.request = ParseCreatePost(object);
  return line;
}

json RowObject(const std::vector<std::string>& header, const std::vector<std::string>& fields) {
  json o = json::object();
  std::string url, alt;
  for (size_t c = 0; c < header.size() && c < fields.size(); ++c) {
    const std::string& name = header[c];
    const std::string& v = fields[c];
    if (v.empty()) continue;
    if (name == "labels") {
      json labels = json::array();
      size_t start = 0;
      while (start < v.size()) {
        size_t end = v.find(' ', start);
        if (end == std::string::npos) end = v.size();
        if (end > start) labels.push_back(v.substr(start, end - start));
        start = end + 1;
      }
      o["labels"] = labels;
    } else if (name == "media_url") {
      url = v;
    } else if (name == "media_alt") {
      alt = v;
    } else {
      o[name] = v;
    }
  }
  if (!url.empty() || !alt.empty()) o["media"] = json::array({{{"url", url}, {"alt", alt}}});
  return o;
}

}  // namespace

Parsed<std::vector<BatchLine>> ParseBatch(std::string_view body, BatchFormat format) {
  std::vector<BatchLine> out;
  if (format == BatchFormat::kJsonLines) {
    int number = 0;
    size_t start = 0;
    while (start <= body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view text = body.substr(start, end - start);
      ++number;
      start = end + 1;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (out.size() == kMaxBatchLines) {
        return std::unexpected(BodyErrors{{"", "more than " + std::to_string(kMaxBatchLines) +
                                                   " posts in one batch; split the file"}});
      }
      auto parsed = ParseJsonBody(text);
      if (!parsed) {
        BatchLine line;
        line.line = number;
        line.request = std::unexpected(parsed.error());
        out.push_back(std::move(line));
        continue;
      }
      out.push_back(FromObject(number, std::move(*parsed)));
    }
    return out;
  }
  auto records = ReadCsv(body);
  if (!records) return std::unexpected(BodyErrors{{"", records.error().message()}});
  if (records->empty()) return out;
  const std::vector<std::string>& header = records->front().fields;
  for (size_t c = 0; c < header.size(); ++c) {
    if (std::find(std::begin(kColumns), std::end(kColumns), header[c]) == std::end(kColumns)) {
      return std::unexpected(BodyErrors{{"", "line 1: unknown column \"" + header[c] +
                                                 "\"; the columns are id, account, at, text, labels, priority, "
                                                 "media_url, media_alt"}});
    }
  }
  if (records->size() - 1 > kMaxBatchLines) {
    return std::unexpected(
        BodyErrors{{"", "more than " + std::to_string(kMaxBatchLines) + " posts in one batch; split the file"}});
  }
  for (size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& rec = (*records)[r];
    if (rec.fields.size() != header.size()) {
      BatchLine line;
      line.line = rec.line;
      line.request = std::unexpected(BodyErrors{{"", std::to_string(rec.fields.size()) + " fields, but the header has " +
                                                         std::to_string(header.size())}});
      out.push_back(std::move(line));
      continue;
    }
    out.push_back(FromObject(rec.line, RowObject(header, rec.fields)));
  }
  return out;
}

}  // namespace herald::api::internal
