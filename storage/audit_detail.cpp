#include "storage/audit_detail.h"

#include <nlohmann/json.hpp>

#include "storage/internal/packed_json.h"

namespace herald::storage {

void SetAuditDetail(AuditEntry& entry, const nlohmann::json& detail) {
  internal::PackedJson packed = internal::PackJsonValue(detail, entry.organization);
  entry.detail = std::move(packed.text);
  entry.stored_detail = entry.organization.empty() ? std::string() : std::move(packed.stored);
}

}  // namespace herald::storage
