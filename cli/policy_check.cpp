// `herald policy check`: validates policy files and directories of them.
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "cli/commands.h"
#include "cli/file_text.h"
#include "policies/loader.h"

namespace herald::cli {

namespace {

namespace fs = std::filesystem;

bool IsPolicyFile(const fs::path& path) {
  auto ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// Expands the arguments into files; usage problems are written to `err`.
bool CollectFiles(const std::vector<std::string>& paths, std::vector<std::string>& files, std::ostream& err) {
  bool ok = true;
  for (const auto& arg : paths) {
    std::error_code ec;
    auto status = fs::status(arg, ec);
    if (ec || !fs::exists(status)) {
      err << "herald policy check: " << arg << ": no such file or directory\n";
      ok = false;
      continue;
    }
    if (!fs::is_directory(status)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    fs::directory_iterator it(arg, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (IsPolicyFile(it->path()) && it->is_regular_file(type_ec)) found.push_back((fs::path(arg) / it->path().filename()).string());
    }
    if (ec) {
      err << "herald policy check: " << arg << ": cannot read directory: " << ec.message() << "\n";
      ok = false;
      continue;
    }
    if (found.empty()) {
      err << "herald policy check: " << arg << ": no *.yaml or *.yml files in this directory\n";
      ok = false;
      continue;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return ok;
}

}  // namespace

int RunPolicyCheck(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  if (paths.empty()) {
    err << "herald policy check: name at least one policy file or directory\n";
    return kExitUsage;
  }
  std::vector<std::string> files;
  if (!CollectFiles(paths, files, err)) return kExitUsage;

  std::vector<std::pair<std::string, std::string>> texts;
  bool readable = true;
  for (const auto& file : files) {
    auto text = ReadFileText(file);
    if (!text) {
      err << "herald policy check: " << file << ": cannot read file: " << text.error().message() << "\n";
      readable = false;
      continue;
    }
    texts.emplace_back(file, std::move(*text));
  }
  if (!readable) return kExitUsage;

  int exit_code = kExitOk;
  std::vector<policies::Policy> valid;
  for (const auto& [file, text] : texts) {
    auto policy = policies::LoadPolicy(text, file);
    if (!policy) {
      for (const Status& error : policy.error()) err << error.ToString() << "\n";
      exit_code = kExitInvalid;
      continue;
    }
    std::size_t n = policy->accounts.size();
    out << file << ": ok: organization " << policy->organization << ", " << n << (n == 1 ? " account" : " accounts")
        << ", version " << policy->version << ", sha256 " << policy->sha256.substr(0, 12) << "\n";
    valid.push_back(std::move(*policy));
  }
  for (const Status& error : policies::CheckPolicySet(valid)) {
    err << error.ToString() << "\n";
    exit_code = kExitInvalid;
  }
  return exit_code;
}

}  // namespace herald::cli
