// Writing JSON strings exactly as boost::json::serialize() does, without building a tree:
// for the order codec (json.cc) and for small documents written by hand (problem+json).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace disthub {

// The most bytes EscapeJsonString() writes for `s`: quotes and \u00xx for every byte.
constexpr size_t MaxEscapedSize(std::string_view s) { return 2 + 6 * s.size(); }

// Writes `s` at `out` as a quoted JSON string and returns the end of what it wrote. Escapes
// as boost::json::serialize() does: '"' and '\' with a backslash; backspace, tab, newline,
// form feed and carriage return as \b \t \n \f \r; other control characters as \u00xx
// (lowercase hex); every other byte, UTF-8 sequences and DEL included, as it is.
// REQUIRES: [out, out + MaxEscapedSize(s)) is writable.
inline char* EscapeJsonString(std::string_view s, char* out) {
  // For each byte: 0 if it stands as it is, else what follows the backslash ('u': u00xx).
  static constexpr std::array<char, 256> kEscapes = [] {
    std::array<char, 256> escapes{};
    for (int c = 0; c < 0x20; ++c) escapes[c] = 'u';
    escapes['\b'] = 'b';
    escapes['\t'] = 't';
    escapes['\n'] = 'n';
    escapes['\f'] = 'f';
    escapes['\r'] = 'r';
    escapes['"'] = '"';
    escapes['\\'] = '\\';
    return escapes;
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = out;  // a local cursor: stores through char* could alias the caller's cursor
  *p++ = '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const char escape = kEscapes[c];
    if (escape == 0) {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    *p++ = escape;
    if (escape == 'u') {
      *p++ = '0';
      *p++ = '0';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

// Appends `s` to `out` as a quoted JSON string, escaped as EscapeJsonString() does.
inline void AppendJsonString(std::string_view s, std::string& out) {
  const size_t used = out.size();
  out.resize(used + MaxEscapedSize(s));
  char* end = EscapeJsonString(s, out.data() + used);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace disthub
