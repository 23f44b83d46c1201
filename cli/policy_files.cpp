#include "cli/policy_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policies/loader.h"

namespace herald::cli {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> PolicyFiles(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto ext = it->path().extension().string();
    std::error_code type_ec;
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

PolicyDirectory LoadPolicyDirectory(const std::string& dir, const policies::ServerConfig& config) {
  PolicyDirectory out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    out.errors[dir].push_back(dir + ": not a directory of policy files");
    return out;
  }
  std::vector<policies::Policy> loaded;
  for (const auto& path : PolicyFiles(dir)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      out.errors[path.string()].push_back(path.string() + ": cannot read file");
      continue;
    }
    auto policy = policies::LoadPolicy(text.str(), path.string());
    if (!policy) {
      for (const auto& e : policy.error()) out.errors[path.string()].push_back(e.ToString());
      continue;
    }
    for (const auto& e : policies::CheckCeilings(*policy, config)) out.errors[path.string()].push_back(e.ToString());
    loaded.push_back(std::move(*policy));
  }
  for (const auto& e : policies::CheckPolicySet(loaded)) out.errors[e.where().file].push_back(e.ToString());
  for (auto& p : loaded) {
    if (!out.errors.count(p.source)) out.valid.push_back(std::move(p));
  }
  return out;
}

std::string DirectorySignature(const std::string& dir) {
  std::string sig;
  for (const auto& path : PolicyFiles(dir)) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
    sig += path.string() + ":" + std::to_string(size) + ":" + std::to_string(mtime) + ";";
  }
  return sig;
}

std::string FileSignature(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
}

}  // namespace herald::cli
