// String building that accepts std::string_view.
//
// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat and friends reject std::string_view arguments.
// disthub::StrCat takes strings, string views, characters, and integers alike.
#pragma once

#include <algorithm>
#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "fmt/core.h"

namespace disthub {
namespace strings_internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void Append(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace strings_internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

// Converts between the two string views (absl::Status::message() is an absl one).
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// A byte for messages about delimiters and bad input: 'c' when printable, else a name or
// its code ("a line break", "byte 7").
inline std::string ShownByte(char c) {
  if (c == '\n') return "a line break";
  if (c == '\r') return "a carriage return";
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
    return StrCat("byte ", static_cast<int>(static_cast<unsigned char>(c)));
  }
  return StrCat("'", std::string(1, c), "'");
}

// `s` as one URL path segment or query value (RFC 3986): every byte but the unreserved
// ones (letters, digits, "-", "_", ".", "~") as %XX.
inline std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
inline std::string_view View(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace disthub

// Lets fmt print absl::string_view (Status messages) with "{}".
template <>
struct fmt::formatter<absl::string_view> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename Context>
  auto format(absl::string_view s, Context& ctx) const {
    return std::copy(s.begin(), s.end(), ctx.out());
  }
};
