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

void Missing(httplib::Response& res, const std::string& field) {
  Error(res, 422, 0, "FIELD_MISSING", field + " :: field is required but not found and has no default value");
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

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::string LinkedinFake::ImageBytes(const std::string& name) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + "linkedin-image:" + name + std::string(32, '\x03');
}

void LinkedinFake::AcceptTokens(std::function<bool(const std::string&)> valid) {
  std::lock_guard lock(token_mu_);
  valid_token_ = std::move(valid);
}

bool LinkedinFake::TokenValid(const httplib::Request& req) const {
  std::string authorization = req.get_header_value("Authorization");
  if (authorization == "Bearer " + token_) return true;
  std::lock_guard lock(token_mu_);
  return valid_token_ && authorization.starts_with("Bearer ") && valid_token_(authorization.substr(7));
}

bool LinkedinFake::RestHeadersValid(const httplib::Request& req, httplib::Response& res) const {
  if (!TokenValid(req)) {
    Error(res, 401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token");
    return false;
  }
  std::string version = req.get_header_value("LinkedIn-Version");
  if (version.size() != 6 || version < "202401") {
    Error(res, 426, 0, "NONEXISTENT_VERSION", "Requested version " + version + " is not active");
    return false;
  }
  if (req.get_header_value("X-Restli-Protocol-Version") != "2.0.0") {
    Error(res, 400, 0, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required");
    return false;
  }
  return true;
}

LinkedinFake::LinkedinFake(std::string token, std::string author) : token_(std::move(token)), author_(std::move(author)) {
  server_.server().Post("/rest/images", [this](const httplib::Request& req, httplib::Response& res) {
    if (!RestHeadersValid(req, res)) return;
    if (req.get_param_value("action") != "initializeUpload")
      return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Unsupported action '" + req.get_param_value("action") + "'");
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON body");
    if (!body.value("initializeUploadRequest", json()).is_object())
      return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Parameter 'initializeUploadRequest' is required");
    const json& request = body["initializeUploadRequest"];
    if (!request.value("owner", json()).is_string()) return Missing(res, "/initializeUploadRequest/owner");
    if (request["owner"] != author_)
      return Error(res, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: images.CREATE.20250901");
    std::lock_guard lock(mu_);
    Image image{"urn:li:image:D4E10AQ" + std::to_string(next_id_), author_, "up" + std::to_string(next_id_), false, {},
                processing_looks_, processing_fails_};
    ++next_id_;
    images_.push_back(image);
    json value = {{"uploadUrlExpiresAt", 1795000000000LL},
                  {"uploadUrl", server_.base_url() + "/dms-uploads/" + image.upload_token},
                  {"image", image.urn}};
    res.set_content(json{{"value", value}}.dump(), "application/json");
  });
  server_.server().Put(R"(/dms-uploads/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!TokenValid(req)) return Error(res, 401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token");
    std::lock_guard lock(mu_);
    for (auto& image : images_) {
      if (image.upload_token != req.matches[1]) continue;
      if (req.body.empty()) return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Empty upload");
      image.bytes = req.body;
      image.uploaded = true;
      res.status = 201;
      return;
    }
    Error(res, 404, 0, "NOT_FOUND", "Unknown upload");
  });
  server_.server().Get(R"(/rest/images/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!RestHeadersValid(req, res)) return;
    std::string urn = httplib::detail::decode_url(req.matches[1], false);
    std::lock_guard lock(mu_);
    for (auto& image : images_) {
      if (image.urn != urn) continue;
      ++image.status_looks;
      std::string status = "AVAILABLE";
      if (!image.uploaded) {
        status = "WAITING_UPLOAD";
      } else if (image.processing_looks > 0) {
        --image.processing_looks;
        status = "PROCESSING";
      } else if (image.fails) {
        status = "PROCESSING_FAILED";
      }
      return res.set_content(json{{"id", image.urn}, {"owner", image.owner}, {"status", status}}.dump(), "application/json");
    }
    Error(res, 404, 0, "NOT_FOUND", "Not found: " + urn);
  });
  server_.server().Get(R"(/images/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == "missing.png") {
      res.status = 404;
      return res.set_content("not found", "text/plain");
    }
    res.set_content(ImageBytes(req.matches[1]), "image/png");
  });
  server_.server().Post("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) {
    if (!RestHeadersValid(req, res)) return;
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Error(res, 400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON body");
    for (const char* field : {"author", "commentary", "visibility", "distribution", "lifecycleState"})
      if (!body.contains(field)) return Missing(res, std::string("/") + field);
    if (body["author"] != author_)
      return Error(res, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.CREATE.20250901");
    if (body["lifecycleState"] != "PUBLISHED" || body["visibility"] != "PUBLIC")
      return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", "/lifecycleState or /visibility has an unexpected value");
    std::string commentary = body["commentary"].get<std::string>();
    size_t points = CodePoints(commentary);
    if (points > 3000)
      return Error(res, 422, 0, "UNPROCESSABLE_ENTITY",
                   "/commentary :: length " + std::to_string(points) + " exceeds the maximum allowed length 3000");
    Post p{{}, author_, commentary, Shown(commentary), {}, {}};
    std::lock_guard lock(mu_);
    if (body.contains("content")) {
      const json& content = body["content"];
      json list;
      std::string where;
      if (content.is_object() && content.contains("media")) {
        p.content = "media";
        list = json::array({content["media"]});
        where = "/content/media";
      } else if (content.is_object() && content.contains("multiImage")) {
        p.content = "multiImage";
        list = content["multiImage"].is_object() ? content["multiImage"].value("images", json()) : json();
        if (!list.is_array()) return Missing(res, "/content/multiImage/images");
        if (list.size() < 2 || list.size() > 20)
          return Error(res, 422, 0, "UNPROCESSABLE_ENTITY",
                       "/content/multiImage/images :: a MultiImage post holds 2 to 20 images, got " + std::to_string(list.size()));
        where = "/content/multiImage/images";
      } else {
        return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", "/content :: unsupported content type");
      }
      for (size_t i = 0; i < list.size(); ++i) {
        const json& item = list[i];
        std::string at = where + (p.content == "media" ? "" : "/" + std::to_string(i));
        if (!item.is_object() || !item.value("id", json()).is_string()) return Missing(res, at + "/id");
        std::string alt;
        if (item.contains("altText")) {
          if (!item["altText"].is_string()) return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", at + "/altText :: not a string");
          alt = item["altText"].get<std::string>();
          if (CodePoints(alt) > 4086)
            return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", at + "/altText :: exceeds the maximum allowed length 4086");
        }
        std::string urn = item["id"].get<std::string>();
        bool ready = false;
        for (const auto& image : images_) {
          ready = ready || (image.urn == urn && image.uploaded && image.processing_looks == 0 && !image.fails &&
                            image.owner == author_);
        }
        if (!ready)
          return Error(res, 422, 0, "UNPROCESSABLE_ENTITY", at + "/id :: " + urn + " is not an AVAILABLE image of the author");
        p.images.push_back({urn, alt});
      }
    }
    p.urn = "urn:li:share:" + std::to_string(next_id_++);
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

void LinkedinFake::SetProcessing(int looks, bool fails) {
  std::lock_guard lock(mu_);
  processing_looks_ = looks;
  processing_fails_ = fails;
}

std::vector<LinkedinFake::Image> LinkedinFake::Images() const {
  std::lock_guard lock(mu_);
  return images_;
}

}  // namespace herald::testing
