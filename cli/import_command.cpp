#include "cli/import_command.h"

#include <httplib.h>

#include <cstdlib>
#include <ostream>

#include <nlohmann/json.hpp>

#include <openssl/sha.h>

#include "cli/commands.h"
#include "cli/file_text.h"
#include "core/hex.h"

namespace herald::cli {
namespace {

using nlohmann::json;

struct Target {
  std::string scheme_host_port;  // for httplib::Client
  std::string base_path;         // "" or "/prefix"
};

std::optional<Target> ParseUrl(const std::string& url) {
  for (std::string scheme : {"http://", "https://"}) {
    if (!url.starts_with(scheme)) continue;
    size_t slash = url.find('/', scheme.size());
    Target t{url.substr(0, slash), slash == std::string::npos ? "" : url.substr(slash)};
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
    if (t.scheme_host_port.size() == scheme.size()) return std::nullopt;
    return t;
  }
  return std::nullopt;
}

}  // namespace

int RunImport(const ImportOptions& options, std::ostream& out, std::ostream& err) {
  std::string format = options.format;
  if (format.empty()) format = options.file.ends_with(".csv") ? "csv" : "jsonl";
  if (format != "csv" && format != "jsonl") {
    err << "herald import: --format must be csv or jsonl\n";
    return kExitUsage;
  }
  auto text = ReadFileText(options.file);
  if (!text) {
    err << "herald import: " << text.error().message() << "\n";
    return kExitUsage;
  }
  const char* token = std::getenv(options.token_env.c_str());
  if (token == nullptr || *token == '\0') {
    err << "herald import: set " << options.token_env << " to an API token (editor or above)\n";
    return kExitUsage;
  }
  auto target = ParseUrl(options.url);
  if (!target) {
    err << "herald import: --url must be http://HOST:PORT or https://HOST:PORT, got \"" << options.url << "\"\n";
    return kExitUsage;
  }
  httplib::Client client(target->scheme_host_port);
  client.set_read_timeout(120, 0);
  // The same file imports as the same posts: a second run replays them.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text->data()), text->size(), digest);
  std::string key = "import-" + HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 16));
  httplib::Headers headers{{"Authorization", std::string("Bearer ") + token}, {"Idempotency-Key", key}};
  std::string path = target->base_path + "/v1/posts/batch" + (options.atomic ? "?atomic=true" : "");
  auto reply = client.Post(path, headers, *text, format == "csv" ? "text/csv" : "application/x-ndjson");
  if (!reply) {
    err << "herald import: cannot reach " << options.url << ": " << httplib::to_string(reply.error()) << "\n";
    return kExitUsage;
  }
  json body = json::parse(reply->body, nullptr, false);
  if (reply->status != 200 && !(reply->status == 422 && body.contains("results"))) {
    std::string detail = body.is_object() && body.contains("detail") ? body["detail"].get<std::string>() : reply->body;
    err << "herald import: " << reply->status << ": " << detail << "\n";
    return reply->status == 401 || reply->status == 403 ? kExitUsage : kExitInvalid;
  }
  bool all_in = reply->status == 200;
  for (const json& r : body.value("results", json::array())) {
    std::string outcome = r.value("outcome", "");
    out << options.file << ":" << r.value("line", 0) << ": " << outcome;
    if (r.contains("post")) out << " post " << r["post"].get<int64_t>();
    if (r.contains("planned_at") && r["planned_at"].is_string()) out << " at " << r["planned_at"].get<std::string>();
    for (const json& e : r.value("errors", json::array())) {
      out << "; " << (e.value("pointer", "").empty() ? "" : e.value("pointer", "") + ": ") << e.value("detail", "");
    }
    for (const json& reason : r.value("reasons", json::array())) out << "; " << reason.value("detail", "");
    out << "\n";
    if (outcome != "created" && outcome != "replayed") all_in = false;
  }
  if (reply->status == 422) out << "nothing was created: " << body.value("detail", "") << "\n";
  else if (body.contains("counts")) out << "counts: " << body["counts"].dump() << "\n";
  return all_in ? kExitOk : kExitInvalid;
}

}  // namespace herald::cli
