#include "core/input_limits.h"

namespace herald {
namespace {

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':' || c == '/';
}

}  // namespace

std::optional<std::string> LabelProblem(const std::string& label) {
  if (label.empty()) return "labels cannot be empty";
  if (label.size() > kMaxLabelLength) {
    return "labels are at most " + std::to_string(kMaxLabelLength) + " characters, this one has " +
           std::to_string(label.size());
  }
  for (char c : label) {
    if (!IsLabelChar(c)) {
      return "labels use only letters A-Z and a-z, digits and - _ . : / (no spaces or other characters)";
    }
  }
  return std::nullopt;
}

Result<void> CheckPostInput(const InputLimits& limits, Instant now, const std::optional<Instant>& at,
                            const std::string* text, const std::vector<std::string>* labels) {
  if (at && *at > now + limits.horizon) {
    return InvalidArgument(FormatRfc3339(*at) + " is more than " + FormatDuration(limits.horizon) +
                               " ahead; posts may be planned at most that far (the server's limits.horizon)",
                           Where{.path = "at"});
  }
  if (text && text->size() > limits.max_text_bytes) {
    return InvalidArgument("the text is " + std::to_string(text->size()) + " bytes; at most " +
                               std::to_string(limits.max_text_bytes) + " are accepted (the server's limits.max_text)",
                           Where{.path = "text"});
  }
  if (labels) {
    if (labels->size() > kMaxLabels) {
      return InvalidArgument("at most " + std::to_string(kMaxLabels) + " labels per post, got " +
                                 std::to_string(labels->size()),
                             Where{.path = "labels"});
    }
    for (size_t i = 0; i < labels->size(); ++i) {
      if (auto problem = LabelProblem((*labels)[i])) {
        return InvalidArgument(*problem, Where{.path = "labels/" + std::to_string(i)});
      }
    }
  }
  return {};
}

}  // namespace herald
