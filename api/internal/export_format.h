// How an export writes posts and audit entries: JSON lines (one object per
// line, the shapes of the API) or CSV (RFC 4180, a header row, UTF-8). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/post.h"
#include "storage/store.h"

namespace herald::api::internal {

enum class ExportFormat { kJsonLines, kCsv };

// "jsonl" or "csv".
std::optional<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ExportContentType(ExportFormat format);
std::string_view ExportExtension(ExportFormat format);

// One CSV field: quoted when it holds a comma, quote, CR or LF (quotes
// doubled). A field a spreadsheet would run as a formula (starting with =, +,
// -, @, tab or CR) gets a leading apostrophe, so opening an export cannot run
// what an editor wrote.
std::string CsvField(std::string_view value);

// The header row (with its line end) and one row per item.
std::string PostsHeader(ExportFormat format);
std::string PostRow(ExportFormat format, const Post& post);
std::string AuditHeader(ExportFormat format);
std::string AuditRow(ExportFormat format, const storage::AuditEntry& entry);

}  // namespace herald::api::internal
