#include "store/packed_text.h"

#include <lz4.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "base/strings.h"

namespace disthub {
namespace {

// A packed document: this tag byte (the format: an LZ4 block), the text's length as four
// bytes little-endian, then the block.
constexpr unsigned char kLz4Block = 0x01;
constexpr size_t kHeaderBytes = 5;

// LZ4's compression state (16 KB), one per thread: the store packs on its writer thread.
void* CompressionState() {
  thread_local std::unique_ptr<char[]> state(new char[static_cast<size_t>(LZ4_sizeofState())]);
  return state.get();
}

// The last document packed on this thread and what became of it. The writer packs the
// same document twice in a row whenever an event carries the state it records (an order's
// body, then its order.received event's payload), so the second time is a copy.
struct LastPacked {
  std::string text;
  std::string packed;
  bool worth_it = false;
};

LastPacked& Last() {
  thread_local LastPacked last;
  return last;
}

bool Packable(std::string_view text) {
  return text.size() >= kPackFromBytes && text.size() <= static_cast<size_t>(LZ4_MAX_INPUT_SIZE);
}

// PackText without the memo. REQUIRES: Packable(text).
bool PackAnew(std::string_view text, std::string& packed) {
  const int n = static_cast<int>(text.size());
  const size_t worth_it = text.size() - text.size() / 8;  // at most 7/8 of the text
  packed.resize(kHeaderBytes + static_cast<size_t>(LZ4_compressBound(n)));
  packed[0] = static_cast<char>(kLz4Block);
  for (int i = 0; i < 4; ++i)
    packed[1 + i] = static_cast<char>((static_cast<uint32_t>(n) >> (8 * i)) & 0xff);
  const int block =
      LZ4_compress_fast_extState(CompressionState(), text.data(), packed.data() + kHeaderBytes, n,
                                 static_cast<int>(packed.size() - kHeaderBytes), 1);
  if (block <= 0 || kHeaderBytes + static_cast<size_t>(block) > worth_it) return false;
  packed.resize(kHeaderBytes + static_cast<size_t>(block));
  return true;
}

// The text's length a packed document's header gives; nullopt if `packed` is not one.
std::optional<uint32_t> PackedLength(std::string_view packed) {
  if (packed.size() < kHeaderBytes || static_cast<unsigned char>(packed[0]) != kLz4Block) {
    return std::nullopt;
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{static_cast<unsigned char>(packed[1 + i])} << (8 * i);
  return n;
}

// Unpacks the block of `packed` (whose header gave `n`) into `out`, which holds n bytes;
// true when it fills them exactly.
bool UnpackInto(std::string_view packed, uint32_t n, char* out) {
  return LZ4_decompress_safe(packed.data() + kHeaderBytes, out,
                             static_cast<int>(packed.size() - kHeaderBytes),
                             static_cast<int>(n)) == static_cast<int>(n);
}

}  // namespace

bool PackText(std::string_view text, std::string& packed) {
  if (!Packable(text)) return false;
  LastPacked& last = Last();
  if (text.size() == last.text.size() && text == last.text) {
    if (last.worth_it) packed = last.packed;
    return last.worth_it;
  }
  last.text = text;
  last.worth_it = PackAnew(text, packed);
  if (last.worth_it) last.packed = packed;
  return last.worth_it;
}

std::string PackAhead(std::string_view text) {
  std::string packed;
  if (!Packable(text) || !PackAnew(text, packed)) return std::string();
  return packed;
}

bool PacksTo(std::string_view packed, std::string_view text) {
  const std::optional<uint32_t> n = PackedLength(packed);
  if (!n || *n != text.size()) return false;
  thread_local std::string unpacked;  // no allocation once it has grown
  unpacked.resize(*n);
  return UnpackInto(packed, *n, unpacked.data()) && std::string_view(unpacked) == text;
}

absl::StatusOr<std::string> UnpackText(std::string_view packed) {
  const std::optional<uint32_t> n = PackedLength(packed);
  if (!n) {
    return absl::DataLossError(
        StrCat("a ", packed.size(), "-byte BLOB that is not a packed document"));
  }
  if (*n > static_cast<uint32_t>(LZ4_MAX_INPUT_SIZE)) {
    return absl::DataLossError(StrCat("a packed document claiming ", *n, " bytes"));
  }
  std::string text(*n, '\0');
  if (!UnpackInto(packed, *n, text.data())) {
    return absl::DataLossError(
        StrCat("a packed document of ", *n, " bytes that does not unpack (damaged or cut short)"));
  }
  return text;
}

}  // namespace disthub
