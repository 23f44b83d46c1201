#include "storage/internal/migration_runner.h"

namespace herald::storage::internal {

Result<int> RunMigrations(std::span<const Migration> steps, const MigrationTarget& target) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1) {
      return std::unexpected(Status(Code::kInternal, "schema migration steps must be numbered 1..N; step " +
                                                         std::to_string(i + 1) + " is numbered " +
                                                         std::to_string(steps[i].version)));
    }
  }
  const int latest = static_cast<int>(steps.size());
  auto current = target.version();
  if (!current) return std::unexpected(current.error());
  if (*current > latest) {
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  target.name + " has schema version " + std::to_string(*current) +
                                      " but this herald knows versions up to " + std::to_string(latest) +
                                      ": it was written by a newer herald; run that version or point storage at " +
                                      target.other));
  }
  int applied = 0;
  for (const Migration& step : steps.subspan(static_cast<size_t>(*current))) {
    auto r = target.apply(step);
    if (!r) {
      return std::unexpected(Status(r.error().code(), "migrating " + target.name + " to schema version " +
                                                          std::to_string(step.version) + " of " +
                                                          std::to_string(latest) + " failed: " +
                                                          r.error().message()));
    }
    if (*r) ++applied;
  }
  return applied;
}

}  // namespace herald::storage::internal
