#include "formats/x12_dictionary.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "base/strings.h"

namespace disthub::formats {
namespace {

// One segment as the standard's tables give it: "M ID 2 2" per element (requirement,
// type, min, max), separated by commas, then its syntax notes.
struct Entry {
  std::string_view id;
  std::string_view name;
  std::string_view elements;
  std::string_view notes;
};

// Product id pairs (qualifier, id) from element `first` on, `pairs` of them, for PO1, IT1,
// LIN, ...: "X ID 2 2,X AN 1 48" each.
#define DISTHUB_X12_PAIR "X ID 2 2,X AN 1 48"
#define DISTHUB_X12_PAIRS5                                                        \
  DISTHUB_X12_PAIR "," DISTHUB_X12_PAIR "," DISTHUB_X12_PAIR "," DISTHUB_X12_PAIR \
                   "," DISTHUB_X12_PAIR

constexpr Entry kEntries[] = {
    // Headings.
    {"BEG", "Beginning Segment for Purchase Order",
     "M ID 2 2,M ID 2 2,M AN 1 22,O AN 1 30,M DT 6 8,O AN 1 30,O ID 2 2,O ID 3 3,O ID 2 2,"
     "O ID 2 2,O ID 2 2,O ID 2 2",
     ""},
    {"BAK", "Beginning Segment for Purchase Order Acknowledgment",
     "M ID 2 2,M ID 2 2,M AN 1 22,M DT 6 8,O AN 1 30,O AN 1 45,O AN 1 30,O AN 1 30,O DT 6 8,"
     "O ID 2 2,O ID 2 2,O ID 2 2",
     ""},
    {"BSN", "Beginning Segment for Ship Notice",
     "M ID 2 2,M AN 2 30,M DT 6 8,M TM 4 8,O ID 4 4,O ID 2 2,O ID 3 3", "C0706"},
    {"BIG", "Beginning Segment for Invoice",
     "M DT 6 8,M AN 1 22,O DT 6 8,O AN 1 22,O AN 1 30,O AN 1 30,O ID 2 2,O ID 2 2,O ID 1 2,"
     "O AN 1 22",
     ""},
    {"W05", "Shipping Order Identification",
     "M ID 1 1,M AN 1 22,O AN 1 30,O AN 1 30,O AN 1 30,O ID 2 2,O ID 2 2", ""},
    {"W06", "Warehouse Shipment Identification",
     "M ID 1 1,O AN 1 22,O DT 6 8,O AN 1 30,O AN 1 30,O AN 1 22,O AN 1 30,O ID 2 3,O ID 2 2,"
     "O ID 2 2,O ID 1 1,O ID 2 2",
     ""},
    {"BIA", "Beginning Segment for Inventory Inquiry/Advice",
     "M ID 2 2,M ID 2 2,M AN 1 30,M DT 6 8,O TM 4 8,O ID 2 2", ""},
    {"CUR", "Currency",
     "M ID 2 3,M ID 3 3,O R 4 10,O ID 2 3,O ID 3 3,O ID 3 3,X ID 3 3,X DT 6 8,X TM 4 8,X ID 3 3,"
     "X DT 6 8,X TM 4 8,X ID 3 3,X DT 6 8,X TM 4 8,X ID 3 3,X DT 6 8,X TM 4 8,X ID 3 3,X DT 6 8,"
     "X TM 4 8",
     "C0807 C0907 L101112 C1110 C1210 L131415 C1413 C1513 L161718 C1716 C1816 L192021 C2019 "
     "C2119"},
    // References, dates, parties.
    {"REF", "Reference Identification", "M ID 2 3,X AN 1 50,X AN 1 80,O C 1 80", "R0203"},
    {"DTM", "Date/Time Reference", "M ID 3 3,X DT 6 8,X TM 4 8,O ID 2 2,X ID 2 3,X AN 1 35",
     "R020305 C0403 P0506"},
    {"N1", "Name", "M ID 2 3,X AN 1 60,X ID 1 2,X AN 2 80,O ID 2 2,O ID 2 3", "R0203 P0304"},
    {"N2", "Additional Name Information", "M AN 1 60,O AN 1 60", ""},
    {"N3", "Address Information", "M AN 1 55,O AN 1 55", ""},
    {"N4", "Geographic Location",
     "O AN 2 30,O ID 2 2,O ID 3 15,O ID 2 3,X ID 1 2,X AN 1 30,O ID 1 3", "C0605"},
    {"N9", "Reference Identification",
     "M ID 2 3,X AN 1 50,X AN 1 45,O DT 6 8,O TM 4 8,X ID 2 2,O C 1 80", "R0203 C0605"},
    {"PER", "Administrative Communications Contact",
     "M ID 2 2,O AN 1 60,X ID 2 2,X AN 1 256,X ID 2 2,X AN 1 256,X ID 2 2,X AN 1 256,O AN 1 20",
     "P0304 P0506 P0708"},
    // Carriers and packages (856, 945).
    {"TD5", "Carrier Details (Routing Sequence/Transit Time)",
     "O ID 1 2,X ID 1 2,X AN 2 80,X ID 1 2,X AN 1 35,X ID 2 2,O ID 1 2,X AN 1 30,O ID 2 2,"
     "O ID 2 2,X R 1 4,X ID 2 2,X ID 2 2,O ID 2 2,O ID 2 3",
     "R0204050612 C0203 C0708 C1011 C1312 C1413"},
    {"W27", "Carrier Detail",
     "M ID 1 2,X ID 2 4,X AN 1 35,O ID 2 2,O ID 2 2,O AN 1 4,O AN 1 10,O ID 2 2,O ID 2 3,"
     "O ID 2 2",
     "R0203"},
    {"MAN", "Marks and Numbers", "M ID 1 2,M AN 1 48,O AN 1 48,X ID 1 2,X AN 1 48,O AN 1 48",
     "P0405"},
    // Lines.
    {"PO1", "Baseline Item Data",
     "O AN 1 20,X R 1 15,X ID 2 2,X R 1 17,O ID 2 2," DISTHUB_X12_PAIRS5 "," DISTHUB_X12_PAIRS5,
     "C0302 C0504 P0607 P0809 P1011 P1213 P1415 P1617 P1819 P2021 P2223 P2425"},
    {"PID", "Product/Item Description",
     "M ID 1 1,O ID 2 3,X ID 2 3,X AN 1 12,X AN 1 80,O ID 2 2,O ID 1 1,O AN 1 20,O ID 2 3",
     "C0403 R0405 C0703 C0804 C0905"},
    {"PO4", "Item Physical Details",
     "O N0 1 6,O R 1 8,X ID 2 2,X ID 3 5,O ID 1 2,X R 1 9,X ID 2 2,X R 1 9,X ID 2 2,X R 1 8,"
     "X R 1 8,X R 1 8,X ID 2 2,O AN 1 45,O R 1 3,O ID 1 3,O AN 1 15,O N0 1 6,O R 1 8",
     "P0203 C0506 P0607 P0809 C1013 C1113 C1213"},
    {"ACK", "Line Item Acknowledgment",
     "M ID 2 2,X R 1 15,X ID 2 2,X ID 3 3,O DT 6 8,O AN 1 80," DISTHUB_X12_PAIRS5
     "," DISTHUB_X12_PAIRS5 ",O ID 1 2,O AN 1 15,O ID 2 2",
     "P0203 C0405 P0708 P0910 P1112 P1314 P1516 P1718 P1920 P2122 P2324 P2526"},
    {"IT1", "Baseline Item Data (Invoice)",
     "O AN 1 20,X R 1 10,X ID 2 2,X R 1 17,O ID 2 2," DISTHUB_X12_PAIRS5 "," DISTHUB_X12_PAIRS5,
     "P020304 P0607 P0809 P1011 P1213 P1415 P1617 P1819 P2021 P2223 P2425"},
    {"LIN", "Item Identification",
     "O AN 1 20,M ID 2 2,M AN 1 48," DISTHUB_X12_PAIRS5 "," DISTHUB_X12_PAIRS5 "," DISTHUB_X12_PAIR
     "," DISTHUB_X12_PAIR "," DISTHUB_X12_PAIR "," DISTHUB_X12_PAIR,
     "P0405 P0607 P0809 P1011 P1213 P1415 P1617 P1819 P2021 P2223 P2425 P2627 P2829 P3031"},
    {"SN1", "Item Detail (Shipment)",
     "O AN 1 20,M R 1 10,M ID 2 2,O R 1 15,X R 1 15,X ID 2 2,O ID 2 2,O ID 2 2", "P0506"},
    {"W01", "Line Item Detail - Warehouse",
     "M R 1 15,M ID 2 2,X AN 1 12,X ID 2 2,X AN 1 48,X ID 2 2,X AN 1 48,O AN 1 30,O AN 1 30,"
     "O AN 1 30,O AN 1 30,O AN 1 30,O AN 1 30,O AN 1 30,O AN 1 30,O AN 1 30,O AN 1 30",
     "P0405 P0607"},
    {"W12", "Warehouse Item Detail",
     "M ID 2 2,O R 1 9,O R 1 9,O R 1 9,M ID 2 2,X AN 1 12,X ID 2 2,X AN 1 48,O AN 1 30,X R 1 10,"
     "X ID 1 2,X ID 2 2,X ID 2 2,X AN 1 48,X ID 2 2,X AN 1 48,X ID 1 1,O AN 1 30,O N0 1 1,"
     "X ID 2 2,X AN 1 48,O AN 1 30",
     "P1011 P1213 P1415 P2021"},
    {"LX", "Assigned Number", "M N0 1 6", ""},
    {"HL", "Hierarchical Level", "M AN 1 12,O AN 1 12,M ID 1 2,O ID 1 1", ""},
    {"PRF", "Purchase Order Reference", "M AN 1 22,O AN 1 30,O AN 1 30,O DT 6 8,O AN 1 30,O ID 2 2",
     ""},
    {"QTY", "Quantity", "M ID 2 2,X R 1 15,X C 1 80,X AN 1 30", "E0204 R0204"},
    // Totals.
    {"CTT", "Transaction Totals", "M N0 1 6,O R 1 10,X R 1 10,X ID 2 2,X R 1 8,X ID 2 2,O AN 1 80",
     "P0304 P0506"},
    {"AMT", "Monetary Amount", "M ID 1 3,M R 1 18,O ID 1 1", ""},
    {"TDS", "Total Monetary Value Summary", "M N2 1 15,O N2 1 15,O N2 1 15,O N2 1 15", ""},
    {"TXI", "Tax Information",
     "M ID 2 2,X R 1 18,X R 1 10,X ID 2 2,X AN 1 10,X ID 1 1,O ID 1 1,O R 1 9,O AN 1 20,"
     "O AN 1 20",
     "R020306 P0405 C0803"},
    {"SAC", "Service, Promotion, Allowance, or Charge Information",
     "M ID 1 1,X ID 4 4,X ID 2 2,X AN 1 10,O N2 1 15,X ID 1 1,O R 1 6,O R 1 9,X ID 2 2,"
     "X R 1 15,O R 1 15,O ID 2 2,X AN 1 30,O AN 1 30,X AN 1 80,O ID 2 3",
     "R0203 P0304 P0607 P0910 C1110 C1413 C1615"},
    {"W76", "Total Shipping Order", "M R 1 7,O R 1 10,X ID 2 2,X R 1 8,X ID 2 2,X ID 2 2",
     "P0203 P0405"},
    {"W03", "Total Shipment Information", "M R 1 7,O R 1 10,X ID 2 2,X R 1 8,X ID 2 2,O R 1 7",
     "P0203 P0405"},
    {"G62", "Date/Time", "X ID 2 2,X DT 6 8,X ID 1 2,X TM 4 8,O ID 2 2", "R0103 P0102 P0304"},
    // Acknowledgements.
    {"AK1", "Functional Group Response Header", "M ID 2 2,M N0 1 9,O AN 1 12", ""},
    {"AK2", "Transaction Set Response Header", "M ID 3 3,M AN 4 9,O AN 1 35", ""},
    {"AK3", "Data Segment Note", "M ID 2 3,M N0 1 10,O AN 1 4,O ID 1 3", ""},
    {"AK5", "Transaction Set Response Trailer",
     "M ID 1 1,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3", ""},
    {"IK5", "Transaction Set Response Trailer",
     "M ID 1 1,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3", ""},
    {"AK9", "Functional Group Response Trailer",
     "M ID 1 1,M N0 1 6,M N0 1 6,M N0 1 6,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3,O ID 1 3", ""},
};

#undef DISTHUB_X12_PAIRS5
#undef DISTHUB_X12_PAIR

X12Type TypeNamed(std::string_view name) {
  if (name == "AN") return X12Type::kAN;
  if (name == "ID") return X12Type::kID;
  if (name == "N0") return X12Type::kN0;
  if (name == "N2") return X12Type::kN2;
  if (name == "R") return X12Type::kR;
  if (name == "DT") return X12Type::kDT;
  if (name == "TM") return X12Type::kTM;
  assert(name == "C");
  return X12Type::kComposite;
}

std::vector<std::string_view> Words(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t at = text.find(separator);
    if (at != 0) out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

X12SegmentSpec Build(const Entry& entry) {
  X12SegmentSpec spec{.id = entry.id, .name = entry.name, .elements = {}, .notes = {}};
  for (std::string_view element : Words(entry.elements, ',')) {
    const std::vector<std::string_view> parts = Words(element, ' ');
    assert(parts.size() == 4);
    spec.elements.push_back({
        .requirement = parts[0][0],
        .type = TypeNamed(parts[1]),
        .min = static_cast<uint8_t>(std::stoi(std::string(parts[2]))),
        .max = static_cast<uint8_t>(std::min(255, std::stoi(std::string(parts[3])))),
    });
  }
  for (size_t i = 0; i < spec.elements.size(); ++i) {
    if (spec.elements[i].requirement == 'M') spec.mandatory_through = i + 1;
  }
  for (std::string_view text : Words(entry.notes, ' ')) {
    X12SyntaxNote& note = spec.notes.emplace_back();
    note.text = text;
    note.kind = text[0];
    for (size_t i = 1; i + 1 < text.size(); i += 2) {
      note.at.push_back(std::stoi(std::string(text.substr(i, 2))));
    }
    note.first = static_cast<size_t>(*std::min_element(note.at.begin(), note.at.end()));
  }
  return spec;
}

// Segment ids as numbers ("PO1" → 'P' << 16 | 'O' << 8 | '1'), for a sorted table.
uint32_t Key(std::string_view id) {
  uint32_t key = 0;
  for (char c : id) key = key << 8 | static_cast<unsigned char>(c);
  return key;
}

struct Dictionary {
  std::vector<X12SegmentSpec> specs;
  std::vector<std::pair<uint32_t, const X12SegmentSpec*>> by_key;  // sorted
};

const Dictionary& TheDictionary() {
  static const auto* dictionary = [] {
    auto* d = new Dictionary();
    d->specs.reserve(std::size(kEntries));
    for (const Entry& entry : kEntries) d->specs.push_back(Build(entry));
    for (const X12SegmentSpec& spec : d->specs) d->by_key.emplace_back(Key(spec.id), &spec);
    std::sort(d->by_key.begin(), d->by_key.end());
    return d;
  }();
  return *dictionary;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

std::string Shown(std::string_view value) {
  return value.size() > 99 ? std::string(value.substr(0, 99)) : std::string(value);
}

}  // namespace

bool IsX12Date(std::string_view value) {
  if (!IsDigits(value) || (value.size() != 8 && value.size() != 6)) return false;
  const size_t y = value.size() - 4;
  const int year =
      value.size() == 8 ? Number(value.substr(0, 4)) : 2000 + Number(value.substr(0, 2));
  const int month = Number(value.substr(y, 2));
  const int day = Number(value.substr(y + 2, 2));
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool IsX12Time(std::string_view value) {
  if (!IsDigits(value) || value.size() < 4 || value.size() > 8 || value.size() == 5) return false;
  if (Number(value.substr(0, 2)) > 23 || Number(value.substr(2, 2)) > 59) return false;
  return value.size() < 6 || Number(value.substr(4, 2)) <= 59;
}

const X12SegmentSpec* FindX12Segment(std::string_view id) {
  if (id.empty() || id.size() > 3) return nullptr;
  const auto& by_key = TheDictionary().by_key;
  const uint32_t key = Key(id);
  auto it = std::lower_bound(by_key.begin(), by_key.end(), key,
                             [](const auto& entry, uint32_t k) { return entry.first < k; });
  return it != by_key.end() && it->first == key ? it->second : nullptr;
}

void CheckX12Segment(const X12SegmentSpec& spec, const X12Segment& segment, size_t position,
                     std::vector<X12Error>& errors) {
  auto add = [&](int element, std::string code, std::string_view data, std::string message) {
    errors.push_back({.level = X12Level::kElement,
                      .code = std::move(code),
                      .segment_id = std::string(spec.id),
                      .position = position,
                      .line = segment.line,
                      .element = element,
                      .component = 0,
                      .data = Shown(data),
                      .message = StrCat(spec.id, element < 10 ? "0" : "", element, ": ", message)});
  };
  // Trailing empty elements ("N3*80 TEST AVE*") are read as absent, as translators do.
  size_t present = segment.size();
  while (present > 0 && segment.element(present).empty()) --present;
  if (present > spec.elements.size()) {
    add(static_cast<int>(spec.elements.size() + 1), "3", segment.element(spec.elements.size() + 1),
        StrCat("too many data elements: ", spec.id, " has ", spec.elements.size(), ", this one ",
               present));
  }
  // Elements past the last present one can only be missing: only mandatory ones matter.
  const size_t through = std::max(std::min(present, spec.elements.size()), spec.mandatory_through);
  for (size_t i = 0; i < through; ++i) {
    const X12ElementSpec& e = spec.elements[i];
    const int n = static_cast<int>(i + 1);
    const std::string_view value = segment.element(i + 1);
    if (value.empty()) {
      if (e.requirement == 'M') add(n, "1", "", "mandatory data element missing");
      continue;
    }
    if (e.type == X12Type::kComposite) continue;
    std::string_view digits = value;
    switch (e.type) {
      case X12Type::kN0:
      case X12Type::kN2:
        if (digits.starts_with('-')) digits.remove_prefix(1);
        if (!IsDigits(digits)) {
          add(n, "6", value, StrCat("\"", Shown(value), "\" is not a whole number"));
          continue;
        }
        break;
      case X12Type::kR: {
        if (digits.starts_with('-')) digits.remove_prefix(1);
        size_t count = 0, dots = 0;
        bool other = false;
        for (char c : digits) {
          if (c == '.') {
            ++dots;
          } else if (c >= '0' && c <= '9') {
            ++count;
          } else {
            other = true;
          }
        }
        if (other || dots > 1 || count == 0) {
          add(n, "6", value, StrCat("\"", Shown(value), "\" is not a number"));
          continue;
        }
        if (count > e.max) {
          add(n, "5", value,
              StrCat("\"", Shown(value), "\" is longer than ", int{e.max}, " digits"));
        }
        continue;
      }
      case X12Type::kDT:
        if (!IsX12Date(value)) add(n, "8", value, StrCat("\"", Shown(value), "\" is not a date"));
        continue;
      case X12Type::kTM:
        if (!IsX12Time(value)) add(n, "9", value, StrCat("\"", Shown(value), "\" is not a time"));
        continue;
      default:
        break;
    }
    // One pass: control characters, and characters (not UTF-8 continuation bytes).
    bool control = false;
    size_t length = 0;
    for (char c : digits) {
      const auto b = static_cast<unsigned char>(c);
      control |= b < 0x20;
      length += (b & 0xC0) != 0x80;
    }
    if (control) {
      add(n, "6", value, "a control character in the data");
      continue;
    }
    if (length < e.min) {
      add(n, "4", value,
          StrCat("\"", Shown(value), "\" is shorter than its minimum of ", int{e.min}));
    } else if (length > e.max) {
      add(n, "5", value,
          StrCat("\"", Shown(value).substr(0, 30), "\" is longer than its maximum of ",
                 int{e.max}));
    }
  }
  // Syntax notes.
  for (const X12SyntaxNote& syntax_note : spec.notes) {
    // A note about elements none of which is there holds, unless it requires one.
    if (syntax_note.first > present && syntax_note.kind != 'R') continue;
    const std::string_view note = syntax_note.text;
    const char kind = syntax_note.kind;
    const std::vector<int>& at = syntax_note.at;
    auto has = [&](int n) { return !segment.element(static_cast<size_t>(n)).empty(); };
    auto name = [&](int n) { return StrCat(spec.id, n < 10 ? "0" : "", n); };
    auto names = [&] {
      std::string out;
      for (size_t i = 0; i < at.size(); ++i) out += StrCat(i == 0 ? "" : ", ", name(at[i]));
      return out;
    };
    int count = 0;
    for (int n : at) count += has(n);
    auto missing = [&](std::string why) {
      for (int n : at) {
        if (!has(n)) {
          add(n, "2", "",
              StrCat("conditional required data element missing (syntax note ", note, ": ", why,
                     ")"));
          return;
        }
      }
    };
    switch (kind) {
      case 'P':
        if (count > 0 && count < static_cast<int>(at.size())) {
          missing(StrCat("if any of ", names(), " is present, all are required"));
        }
        break;
      case 'R':
        if (count == 0) {
          add(at[0], "2", "",
              StrCat("syntax note ", note, ": at least one of ", names(), " is required"));
        }
        break;
      case 'C':
        if (has(at[0]) && count < static_cast<int>(at.size())) {
          std::string others;
          for (size_t i = 1; i < at.size(); ++i) {
            others += StrCat(i == 1 ? "" : ", ", name(at[i]));
          }
          missing(StrCat("if ", name(at[0]), " is present, ", others,
                         at.size() > 2 ? " are" : " is", " required"));
        }
        break;
      case 'L':
        if (has(at[0]) && count == 1 && at.size() > 1) {
          missing(StrCat("if ", name(at[0]), " is present, one of the others is required"));
        }
        break;
      case 'E':
        if (count > 1) {
          int second = 0;
          for (size_t i = 0, seen = 0; i < at.size(); ++i) {
            if (has(at[i]) && ++seen == 2) second = at[i];
          }
          add(second, "10", segment.element(static_cast<size_t>(second)),
              StrCat("exclusion condition violated (syntax note ", note, ": not more than one of ",
                     names(), ")"));
        }
        break;
      default:
        assert(false && "a syntax note of an unknown kind");
    }
  }
}

}  // namespace disthub::formats
