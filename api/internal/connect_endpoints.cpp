// The OAuth endpoints: POST /v1/accounts/{id}/connect starts connecting an
// account (manager or admin), GET /v1/oauth/callback finishes it. The
// callback carries no bearer token (a browser arrives there from the
// platform): its state is the credential, and nothing in its answer or in the
// errors it reports holds a token.
#include <string>

#include "api/internal/endpoints.h"
#include "core/time.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

ApiResponse NotConfigured() {
  return ProblemResponse(MakeProblem(501, "oauth-not-configured",
                                     "this herald connects no account by OAuth: the server config has no oauth section"));
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool WantsHtml(const httplib::Request& request) {
  return request.get_header_value("Accept").find("text/html") != std::string::npos;
}

// A browser gets a small page (with a way back to the console's accounts,
// where the connect started), a script the JSON.
ApiResponse Page(const httplib::Request& request, int status, const std::string& title, const std::string& text,
                 json body) {
  if (!WantsHtml(request)) {
    ApiResponse r = JsonResponse(status, body);
    if (status >= 400) r.content_type = std::string(kProblemContentType);
    return r;
  }
  ApiResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + EscapeHtml(title) +
           "</title></head><body><h1>" + EscapeHtml(title) + "</h1><p>" + EscapeHtml(text) +
           "</p><p><a href=\"/#accounts\">Back to the console</a></p></body></html>\n";
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'");
  return r;
}

}  // namespace

ApiResponse Endpoints::Connect(const Call& call) {
  if (!call.request.params.empty()) {
    return ProblemResponse(MakeProblem(400, "invalid-query", "this endpoint takes no query parameters"));
  }
  if (!connect_) return NotConfigured();
  auto started = connect_->Start(call.caller, call.params.at(0));
  if (!started) return StatusResponse(started.error());
  return JsonResponse(200, {{"account", call.params.at(0)},
                            {"authorization_url", started->authorization_url},
                            {"state_expires_at", FormatRfc3339(started->state_expires_at)}});
}

ApiResponse Endpoints::OAuthCallback(const Call& call) {
  if (!connect_) return NotConfigured();
  const auto& req = call.request;
  auto param = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
  auto finished = connect_->Finish(param("code"), param("state"), param("error"));
  if (!finished) {
    const Status& s = finished.error();
    bool ours = s.code() == Code::kInvalidArgument || s.code() == Code::kPermissionDenied;
    int status = ours ? 400 : s.code() == Code::kInternal ? 500 : 502;
    Problem problem = MakeProblem(status, ours ? "oauth-callback-refused" : "oauth-platform-failed", s.message());
    return Page(req, status, "The account was not connected", s.message(), problem.ToJson());
  }
  std::string text = "Account " + finished->account + " (" + finished->platform +
                     ") is connected to herald. You may close this page.";
  return Page(req, 200, "Account connected", text,
              {{"connected", true}, {"account", finished->account}, {"platform", finished->platform},
               {"scope", finished->scope}});
}

}  // namespace herald::api::internal
