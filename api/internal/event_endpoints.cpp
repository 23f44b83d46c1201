// GET /v1/events, GET /v1/events/deliveries and
// POST /v1/events/deliveries/{id}/retry (docs/events.md): the events recorded
// for the caller's organisation and how their deliveries went.
#include <string>

#include "api/internal/endpoints.h"
#include "api/internal/json_codec.h"
#include "api/internal/query_reader.h"
#include "core/event.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 500;

json EventToJson(const storage::Event& e) {
  json data = json::parse(e.payload, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) data = nullptr;
  return {{"id", e.id}, {"type", EventTypeName(e.type)}, {"at", FormatRfc3339(e.at)}, {"data", std::move(data)}};
}

json DeliveryToJson(const storage::EventDelivery& d) {
  return {{"id", d.id},
          {"event_id", d.event_id},
          {"type", EventTypeName(d.type)},
          {"url", d.url},
          {"state", DeliveryStateName(d.state)},
          {"attempts", d.attempts},
          {"last_status", d.last_status ? json(*d.last_status) : json(nullptr)},
          {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
          {"next_attempt", d.state == DeliveryState::kPending ? json(FormatRfc3339(d.next_attempt)) : json(nullptr)},
          {"created_at", FormatRfc3339(d.created_at)},
          {"updated_at", FormatRfc3339(d.updated_at)}};
}

std::string KnownTypes() {
  std::string out;
  for (EventType t : kEventTypes) out += (out.empty() ? "" : ", ") + std::string(EventTypeName(t));
  return out;
}

}  // namespace

ApiResponse Endpoints::Events(const Call& call) {
  QueryReader q(call.request, {"type", "since", "limit", "cursor"});
  storage::EventQuery query;
  if (auto type = q.Get("type")) {
    query.type = ParseEventType(*type);
    if (!query.type) q.Fail("type", "unknown event type \"" + *type + "\"; known: " + KnownTypes());
  }
  query.since = q.Time("since");
  int limit = q.Int("limit", 1, kMaxLimit, kDefaultLimit);
  query.after_seq = q.Cursor();
  if (auto problem = q.Problems()) return *problem;
  query.limit = limit + 1;
  auto events = service_.Events(call.caller, query);
  if (!events) return StatusResponse(events.error());
  json items = json::array();
  for (size_t i = 0; i < events->size() && i < static_cast<size_t>(limit); ++i) items.push_back(EventToJson((*events)[i]));
  json next = nullptr;
  if (events->size() > static_cast<size_t>(limit)) next = EncodeCursor((*events)[limit - 1].seq);
  return Conditional(call, JsonResponse(200, {{"items", items}, {"next_cursor", next}}));
}

ApiResponse Endpoints::EventDeliveries(const Call& call) {
  QueryReader q(call.request, {"state", "limit", "cursor"});
  storage::DeliveryQuery query;
  if (auto state = q.Get("state")) {
    query.state = ParseDeliveryState(*state);
    if (!query.state) q.Fail("state", "unknown state \"" + *state + "\"; known: pending, delivered, failed");
  }
  int limit = q.Int("limit", 1, kMaxLimit, kDefaultLimit);
  query.after_id = q.Cursor();
  if (auto problem = q.Problems()) return *problem;
  query.limit = limit + 1;
  auto deliveries = service_.Deliveries(call.caller, query);
  if (!deliveries) return StatusResponse(deliveries.error());
  json items = json::array();
  for (size_t i = 0; i < deliveries->size() && i < static_cast<size_t>(limit); ++i) {
    items.push_back(DeliveryToJson((*deliveries)[i]));
  }
  json next = nullptr;
  if (deliveries->size() > static_cast<size_t>(limit)) next = EncodeCursor((*deliveries)[limit - 1].id);
  return Conditional(call, JsonResponse(200, {{"items", items}, {"next_cursor", next}}));
}

ApiResponse Endpoints::RetryDelivery(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  auto id = ParsePositive(call.params.at(0));
  if (!id) {
    return ProblemResponse(MakeProblem(404, "not-found", "no delivery " + call.params.at(0) + " in your organisation"));
  }
  auto retried = service_.RetryDelivery(call.caller, *id);
  if (!retried) return StatusResponse(retried.error());
  return JsonResponse(200, DeliveryToJson(*retried));
}

}  // namespace herald::api::internal
