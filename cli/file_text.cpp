#include "cli/file_text.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace herald::cli {

Result<std::string> ReadFileText(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return NotFound("no such file");
  // An ifstream opens a directory and then reads nothing: say what it is instead.
  if (std::filesystem::is_directory(status)) return Error(Code::kFailedPrecondition, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Code::kFailedPrecondition, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(Code::kFailedPrecondition, "read error");
  return text.str();
}

}  // namespace herald::cli
