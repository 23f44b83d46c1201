// The API's endpoints as functions of (caller, request) → response, with no
// server state of their own: HttpServer routes, authenticates and counts;
// these parse, call the Service and shape the answer. Thread-safe as the
// Service is.
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/internal/export_format.h"
#include "api/internal/export_workers.h"
#include "api/internal/json_codec.h"
#include "api/account_connect.h"
#include "api/internal/problem.h"
#include "api/internal/request_counters.h"
#include "scheduler/runtime/service.h"

namespace herald::api::internal {

// The body of a streamed answer (Server-Sent Events), written as it comes.
// Thread-safe: Send and Close may be called from any thread, any time.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues bytes to write, e.g. "data: {...}\n\n". False once the client is
  // gone or the stream was closed: stop producing then.
  virtual bool Send(std::string bytes) = 0;
  // Ends the answer and the connection after what was queued.
  virtual void Close() = 0;
  // Bytes sent but not yet taken by the client's socket: a producer that can
  // go faster than the client reads (an export) waits while this is large.
  virtual size_t Unsent() const = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streamed answer: `body` is ignored; after the status and
  // headers are sent, `stream` is called once on a handler thread with the
  // EventStream to keep and write to. It must return promptly (keep the
  // stream, send from elsewhere); the connection holds no thread meanwhile.
  std::function<void(std::shared_ptr<EventStream>)> stream;
};

ApiResponse JsonResponse(int status, const nlohmann::json& body);
ApiResponse ProblemResponse(const Problem& problem);
ApiResponse StatusResponse(const Status& status);
// A 4xx whose `errors` name each place in the body that is wrong.
ApiResponse BodyProblem(int status, std::string slug, BodyErrors errors);

// The body of a JSON request, or the problem with it: 415 without a JSON
// content type, 400 for malformed JSON. An empty body is `{}` when `optional`.
std::expected<nlohmann::json, ApiResponse> JsonBody(const httplib::Request& request, bool optional);

// One authenticated request: `params` are the route's captures ({id}).
struct Call {
  const runtime::Caller& caller;
  const httplib::Request& request;
  std::vector<std::string> params;
};

class Endpoints {
 public:
  Endpoints(runtime::Service& service, const RequestCounters& counters,
            std::shared_ptr<AccountConnect> connect = nullptr)
      : service_(service), counters_(counters), connect_(std::move(connect)) {}

  ApiResponse Health();
  ApiResponse Metrics(const Call& call);
  ApiResponse CreatePost(const Call& call);
  ApiResponse CreateBatch(const Call& call);
  ApiResponse GetPost(const Call& call);
  ApiResponse ListPosts(const Call& call);
  ApiResponse EditPost(const Call& call);
  ApiResponse Approve(const Call& call);
  ApiResponse Reject(const Call& call);
  ApiResponse Cancel(const Call& call);
  ApiResponse Me(const Call& call);
  ApiResponse DryRunNew(const Call& call);
  ApiResponse DryRunPost(const Call& call);
  ApiResponse Accounts(const Call& call);
  ApiResponse Slots(const Call& call);
  ApiResponse Closed(const Call& call);
  ApiResponse Policy(const Call& call);
  ApiResponse Audit(const Call& call);
  ApiResponse ExportPosts(const Call& call);
  ApiResponse ExportAudit(const Call& call);
  ApiResponse Connect(const Call& call);
  ApiResponse OAuthCallback(const Call& call);  // call.caller is empty
  ApiResponse PostEngagement(const Call& call);
  ApiResponse EngagementRollup(const Call& call);
  // The inbox (inbox_endpoints.cpp).
  ApiResponse ListInbox(const Call& call);
  ApiResponse GetInboxItem(const Call& call);
  ApiResponse AssignInboxItem(const Call& call);
  ApiResponse DismissInboxItem(const Call& call);
  ApiResponse ReopenInboxItem(const Call& call);
  ApiResponse ReplyToInboxItem(const Call& call);
  // Events (event_endpoints.cpp).
  ApiResponse Events(const Call& call);
  ApiResponse EventDeliveries(const Call& call);
  ApiResponse RetryDelivery(const Call& call);

 private:
  ApiResponse StartExport(const std::string& what, ExportFormat format, ExportProducer next);
  enum class Workflow { kApprove, kReject, kCancel };
  ApiResponse RunWorkflow(const Call& call, Workflow action);

  runtime::Service& service_;
  const RequestCounters& counters_;
  std::shared_ptr<AccountConnect> connect_;  // null: OAuth not configured
  ExportWorkers exports_;
};

// Adds an ETag (a hash of the body) and answers 304 without a body when the
// request's If-None-Match names it: a client polling for changes pays for the
// query, not for the transfer and the re-render.
ApiResponse Conditional(const Call& call, ApiResponse answer);

// Takes the request's Idempotency-Key (400 when it is not 1-255 visible ASCII
// characters) into `request`, with the hash of `hashed` that tells a replay
// from another request under the same key. Nothing without the header.
std::expected<void, ApiResponse> IdempotencyKeyOf(const Call& call, const nlohmann::json& hashed,
                                                  runtime::CreatePostRequest& request);

// "application/json" or any "+json" type, parameters ignored.
bool IsJsonContentType(std::string_view header);

}  // namespace herald::api::internal
