// Reading CSV (RFC 4180, as spreadsheets write it): records of fields, each
// record with the line it starts on. Quoted fields may hold commas, quotes
// ("") and line breaks; CRLF and LF both end a record. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace herald::api::internal {

struct CsvRecord {
  int line = 0;  // 1-based line the record starts on
  std::vector<std::string> fields;
};

// InvalidArgument naming line:column for a quote that is never closed or text
// right after a closing quote. Blank lines are skipped.
Result<std::vector<CsvRecord>> ReadCsv(std::string_view text);

}  // namespace herald::api::internal
