#include "tests/connectors/fakes/linkedin_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {
using json = nlohmann::json;

void Error(httplib::Response& res, int status, int service_code, const std::string& code, const std::string& message) {
  res.status = status;
  res.set_content(json{{"status", status}, {"serviceErrorCode", service_code}, {"code", code}, {"message", message}}.dump(),
                  "application/json");
}

// The little text format: a backslash shows the next character as is.
std::string Shown(const std::string& commentary) {
  std::string out;
  for (size_t i = 0; i < commentary.size(); ++i) {
    if (commentary[i] == '\\' && i + 1 < commentary.size()) ++i;
    out += commentary[i];
  }
  return out;
}
}  // namespace

LinkedinFake::LinkedinFake(std::string token, std::string author) : token_(std::move(token)), author_(std::move(author)) {
  server_.server().Post("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bearer " + token_)
      return Error(res, 401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token");
    std::string version = req.get_header_value("LinkedIn-Version");
    if (version.size() != 6 || version < "202401")
      return Error(res, 426, 0, "NONEXISTENT_VERSION", "Requested version " + version + " is not active");
    if (req.get_header_value("X-Restli-Protocol-Version") != "2.0.0")
      return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required");
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON body");
    for (const char* field : {"author", "commentary", "visibility", "distribution", "lifecycleState"})
      if (!body.contains(field))
        return Error(res, 422, 0, "FIELD_MISSING", std::string("/") + field + " :: field is required but not found and has no default value");
    if (body["author"] != author_)
      return Error(res, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.CREATE.20250901");
    if (body["lifecycleState"] != "PUBLISHED" || body["visibility"] != "PUBLIC")
      return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", "/lifecycleState or /visibility has an unexpected value");
    std::string commentary = body["commentary"].get<std::string>();
    size_t points = 0;
    for (unsigned char c : commentary)
      if ((c & 0xC0) != 0x80) ++points;
    if (points > 3000)
      return Error(res, 422, 0, "UNPROCESSABLE_ENTITY",
                   "/commentary :: length " + std::to_string(points) + " exceeds the maximum allowed length 3000");
    std::lock_guard lock(mu_);
    Post p{"urn:li:share:" + std::to_string(next_id_++), author_, commentary, Shown(commentary)};
    posts_.push_back(p);
    res.status = 201;
    res.set_header("x-restli-id", p.urn);
  });
  server_.Start();
}

std::vector<LinkedinFake::Post> LinkedinFake::Posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

}  // namespace herald::testing
