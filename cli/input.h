// Reading what people hand to mqsim (arguments, environment variables, files): one typed error
// for all of it. A reader that meets something it cannot use throws InputError naming where
// (the argument, variable, or file and field) and what was expected; main() turns it into one
// line on stderr and exit 2. Numbers are parsed here, with range checks, never with std::sto*.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mqsim::cli {

struct InputError : std::runtime_error {
  InputError(const std::string& where, const std::string& expected, std::string_view got)
      : std::runtime_error(where + ": expected " + expected + ", got \"" + std::string(got.substr(0, 80)) +
                           (got.size() > 80 ? "...\"" : "\"")) {}
};

// A decimal unsigned integer in [min, max]: digits only (no sign, no spaces, no hex), no overflow.
// nullopt otherwise; the caller says where it came from.
inline std::optional<std::uint64_t> parse_u64(std::string_view text, std::uint64_t min, std::uint64_t max) {
#ifdef MQSIM_PLANT_UNCHECKED_STOULL
  // The planted bug of tests/CMakeLists.txt ("planted: unchecked std::stoull"): what replay did
  // before, which the bad-input property tests must catch.
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) return std::stoull(std::string(text));
#endif
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;  // would overflow
    value = value * 10 + digit;
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

// The same, throwing InputError naming `where` (e.g. "MQSIM_PR_SEED", "replay: seed").
inline std::uint64_t require_u64(std::string_view text, std::uint64_t min, std::uint64_t max, const std::string& where) {
  if (auto v = parse_u64(text, min, max)) return *v;
  throw InputError(where, "a whole number from " + std::to_string(min) + " to " + std::to_string(max), text);
}

}  // namespace mqsim::cli
