// The Prometheus text exposition format (0.0.4) of herald's metrics. Pure.
#pragma once

#include <string>

#include "api/internal/request_counters.h"
#include "scheduler/runtime/service.h"

namespace herald::api::internal {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderMetrics(const runtime::Metrics& service, const RequestCounts& http);

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabel(std::string_view value);

}  // namespace herald::api::internal
