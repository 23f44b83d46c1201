// An audit entry's detail built from a JSON value: its text and its stored
// form (AuditEntry::stored_detail) made together, so the store neither parses
// the text again nor checks the packing by printing and parsing it once more.
// Pure and thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "storage/store.h"

namespace herald::storage {

// Sets `entry.detail` to `detail` printed (invalid UTF-8 replaced) and
// `entry.stored_detail` to the bytes the store would write for that text.
// REQUIRES: entry.organization is the organisation the entry is written
// for; when it is empty only `detail` is set.
void SetAuditDetail(AuditEntry& entry, const nlohmann::json& detail);

}  // namespace herald::storage
