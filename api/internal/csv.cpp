#include "api/internal/csv.h"

namespace herald::api::internal {

Result<std::vector<CsvRecord>> ReadCsv(std::string_view text) {
  std::vector<CsvRecord> out;
  CsvRecord record{1, {}};
  std::string field;
  int line = 1, column = 0;
  bool field_started = false;  // the record has a field in progress (or a separator was seen)
  bool at_field_start = true;  // nothing of the current field read yet
  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
  };
  auto end_record = [&] {
    if (field_started || !record.fields.empty()) {
      end_field();
      out.push_back(std::move(record));
    }
    record = CsvRecord{line, {}};
    field_started = false;
    at_field_start = true;
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    ++column;
    if (c == '"' && at_field_start) {
      // A quoted field, to its closing quote.
      int open_line = line, open_column = column;
      field_started = true;
      at_field_start = false;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char q = text[i++];
        ++column;
        if (q == '"') {
          if (i < text.size() && text[i] == '"') {
            field += '"';
            ++i;
            ++column;
            continue;
          }
          closed = true;
          break;
        }
        if (q == '\n') {
          ++line;
          column = 0;
        }
        field += q;
      }
      if (!closed) {
        return InvalidArgument("line " + std::to_string(open_line) + ", column " + std::to_string(open_column) +
                               ": a quoted field is never closed");
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return InvalidArgument("line " + std::to_string(line) + ", column " + std::to_string(column + 1) +
                               ": text after a closing quote; write a quote inside a quoted field as \"\"");
      }
      continue;
    }
    ++i;
    if (c == ',') {
      end_field();
      field_started = true;
      at_field_start = true;
    } else if (c == '\r' && i < text.size() && text[i] == '\n') {
      continue;  // the \n ends the record
    } else if (c == '\n') {
      ++line;
      column = 0;
      end_record();
    } else {
      field += c;
      field_started = true;
      at_field_start = false;
    }
  }
  end_record();
  return out;
}

}  // namespace herald::api::internal
