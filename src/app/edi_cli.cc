#include "app/edi_cli.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/strings.h"
#include "formats/x12_envelope.h"
#include "formats/x12_writer.h"
#include "mapping/x12_orders.h"
#include "model/json.h"

namespace disthub {
namespace {

namespace json = boost::json;
using formats::X12Error;
using formats::X12Group;
using formats::X12Interchange;
using formats::X12Level;
using formats::X12Segment;
using formats::X12Set;

struct CheckArgs {
  std::vector<std::string> files;
  bool lenient = false;  // envelopes only, no segment checks
  bool ack = false;      // print the acknowledgements on stdout
};

struct ToJsonArgs {
  std::string file;
  std::string channel = "edi";
  std::string account;
  std::string currency = "USD";
  std::vector<std::string> units;           // CODE=UNIT
  std::vector<std::string> sku_qualifiers;  // replaces the default order
};

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return StrCat(n, " ", n == 1 ? one : many);
}

// "AK4 7 code 2" and the like: where an acknowledgement puts the error.
std::string Where(const X12Error& e, bool is999) {
  switch (e.level) {
    case X12Level::kInterchange:
      return StrCat("TA1 note ", e.code);
    case X12Level::kGroup:
      return StrCat("AK9 code ", e.code);
    case X12Level::kSet:
      return StrCat(is999 ? "IK5" : "AK5", " code ", e.code);
    case X12Level::kSegment:
      return StrCat(is999 ? "IK3" : "AK3", " ", e.segment_id, " at ", e.position, " code ", e.code);
    case X12Level::kElement:
      return StrCat(is999 ? "IK3" : "AK3", " ", e.segment_id, " at ", e.position, ", ",
                    is999 ? "IK4" : "AK4", " element ", e.element, " code ", e.code);
  }
  return "";
}

// ISA09/ISA10 as people read them: "2010-11-27 17:19" (years 70..99 are 19YY).
std::string When(std::string_view yymmdd, std::string_view hhmm) {
  if (yymmdd.size() != 6 || hhmm.size() != 4) return StrCat(yymmdd, " ", hhmm);
  return StrCat(yymmdd.substr(0, 2) >= "70" ? "19" : "20", yymmdd.substr(0, 2), "-",
                yymmdd.substr(2, 2), "-", yymmdd.substr(4, 2), " ", hhmm.substr(0, 2), ":",
                hhmm.substr(2, 2));
}

std::string Usage(std::string_view usage) {
  if (usage == "P") return "production";
  if (usage == "T") return "test";
  return StrCat("usage ", usage);
}

// What `check` counts over all files.
struct Tally {
  size_t interchanges = 0, groups = 0, sets = 0, accepted = 0, errors = 0;
};

void PrintErrors(const std::vector<X12Error>& errors, bool is999, std::string_view indent,
                 Tally& tally) {
  for (const X12Error& e : errors) {
    ++tally.errors;
    std::cout << indent << Where(e, is999) << " (line " << e.line << "): " << e.message << "\n";
  }
}

// Prints one interchange, as `check` shows it.
void PrintInterchange(const std::string& file, const X12Interchange& x, Tally& tally) {
  ++tally.interchanges;
  std::cout << file << ": interchange " << x.control << " from " << x.sender_qualifier << ":"
            << x.sender << " to " << x.receiver_qualifier << ":" << x.receiver << ", version "
            << x.version << ", " << Usage(x.usage) << ", " << When(x.date, x.time) << " (line "
            << x.line << "): " << (x.accepted() ? "accepted" : "rejected") << "\n";
  PrintErrors(x.errors, false, "  ", tally);
  if (x.ta1s > 0) std::cout << "  " << Plural(x.ta1s, "TA1", "TA1s") << " (acknowledgements)\n";
  for (const X12Group& g : x.groups) {
    ++tally.groups;
    const bool is999 = g.version.substr(0, 6) >= "005010";
    std::cout << "  group " << g.control << " " << g.functional_id << " (" << g.version << ") from "
              << g.sender << " to " << g.receiver << ", " << Plural(g.sets.size(), "set", "sets")
              << " (line " << g.line << "): AK9 " << g.ack_code() << ", " << g.accepted_sets()
              << " accepted\n";
    PrintErrors(g.errors, is999, "    ", tally);
    for (const X12Set& s : g.sets) {
      ++tally.sets;
      const bool accepted = s.accepted() && g.errors.empty() && x.accepted();
      tally.accepted += accepted;
      std::cout << "    " << s.id << " " << s.control
                << (s.implementation.empty() ? "" : StrCat(" ", s.implementation)) << ", "
                << Plural(s.segments, "segment", "segments") << " (line " << s.line
                << "): " << (accepted ? "accepted" : "rejected") << "\n";
      PrintErrors(s.errors, is999, "      ", tally);
    }
  }
}

int RunCheck(const CheckArgs& args) {
  Tally tally;
  int status = 0;
  // Duplicate interchanges across the files given: the same sender and control number.
  std::map<std::string, std::string> seen;  // "ZZ:SENDER#control" → where first
  for (const std::string& file : args.files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) {
      std::cerr << text.status().message() << "\n";
      status = 2;
      continue;
    }
    absl::StatusOr<std::vector<X12Interchange>> read = formats::ReadX12(
        *text,
        {.interchange =
             [&](const X12Interchange& x) {
               const std::string key = StrCat(x.sender_qualifier, ":", x.sender, "#", x.control);
               auto [it, inserted] = seen.emplace(key, StrCat(file, " line ", x.line));
               X12Interchange copy = x;
               if (!inserted) {
                 copy.errors.push_back({.level = X12Level::kInterchange,
                                        .code = "025",
                                        .segment_id = "ISA",
                                        .position = 1,
                                        .line = x.line,
                                        .element = 13,
                                        .component = 0,
                                        .data = x.control,
                                        .message = StrCat("duplicate interchange: ", x.sender,
                                                          " sent control number ", x.control,
                                                          " before, at ", it->second)});
               }
               PrintInterchange(file, copy, tally);
               if (args.ack) {
                 // Control number 1: a real connector keeps its own per partner.
                 absl::StatusOr<std::string> written =
                     formats::WriteAcknowledgements(copy, {}, /*ta1=*/true, absl::Now());
                 if (written.ok()) {
                   std::cout << "  acknowledgement:\n" << *written;
                 } else {
                   std::cout << "  no acknowledgement: " << written.status().message() << "\n";
                 }
               }
               size_t sets = 0;
               for (const X12Group& g : copy.groups) sets += g.sets.size();
               if (!copy.accepted() || copy.accepted_sets() != sets) status = std::max(status, 1);
             }},
        {.check_segments = !args.lenient, .max_errors_per_set = 100});
    if (!read.ok()) {
      std::cout << file << ": not readable as X12: " << read.status().message() << "\n";
      status = 2;
    }
  }
  std::cout << Plural(args.files.size(), "file", "files") << ", "
            << Plural(tally.interchanges, "interchange", "interchanges") << ", "
            << Plural(tally.groups, "group", "groups") << ", " << Plural(tally.sets, "set", "sets")
            << ": " << tally.accepted << " accepted, " << tally.sets - tally.accepted
            << " rejected; " << Plural(tally.errors, "error", "errors") << "\n";
  return status;
}

int RunToJson(const ToJsonArgs& args) {
  mapping::X12Dialect dialect;
  dialect.channel = args.channel;
  dialect.account_number = args.account;
  dialect.currency = args.currency;
  for (const std::string& u : args.units) {
    const size_t eq = u.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == u.size()) {
      std::cerr << "--unit " << u << ": write CODE=UNIT, such as KI=kit\n";
      return 2;
    }
    dialect.units[u.substr(0, eq)] = u.substr(eq + 1);
  }
  if (!args.sku_qualifiers.empty()) dialect.sku_qualifiers = args.sku_qualifiers;
  absl::StatusOr<std::string> text = ReadFile(args.file);
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return 2;
  }
  int status = 0;
  json::array out;
  absl::StatusOr<std::vector<X12Interchange>> read =
      formats::ReadX12(*text, {.set = [&](const X12Interchange& x, const X12Group& g,
                                          const X12Set& s, std::span<const X12Segment> segments) {
        json::object doc;
        doc["interchange"] = x.control;
        doc["sender"] = StrCat(x.sender_qualifier, ":", x.sender);
        doc["group"] = g.control;
        doc["set"] = s.id;
        doc["control"] = s.control;
        doc["line"] = s.line;
        if (!s.errors.empty()) {
          json::array errors;
          for (const X12Error& e : s.errors) errors.push_back(json::string(e.message));
          doc["envelope_errors"] = std::move(errors);
          status = 1;
        }
        if (s.id == "850") {
          absl::StatusOr<Order> order = mapping::OrderFrom850(segments, dialect);
          if (order.ok()) {
            doc["order"] = Encode(*order);
          } else {
            doc["error"] = order.status().ToString();
            status = 1;
          }
        } else if (s.id == "997" || s.id == "999") {
          absl::StatusOr<std::vector<formats::X12AckedGroup>> acked =
              formats::ReadFunctionalAcknowledgement(segments);
          if (!acked.ok()) {
            doc["error"] = acked.status().ToString();
            status = 1;
          } else {
            json::array groups;
            for (const formats::X12AckedGroup& a : *acked) {
              json::array sets;
              for (const formats::X12AckedSet& as : a.sets) {
                json::array errors;
                for (const std::string& e : as.errors) errors.push_back(json::string(e));
                sets.push_back({{"set", as.id},
                                {"control", as.control},
                                {"code", as.code},
                                {"errors", std::move(errors)}});
              }
              groups.push_back({{"functional_id", a.functional_id},
                                {"control", a.control},
                                {"code", a.code},
                                {"included", a.included},
                                {"received", a.received},
                                {"accepted", a.accepted},
                                {"sets", std::move(sets)}});
            }
            doc["acknowledges"] = std::move(groups);
          }
        } else {
          doc["translated"] = false;
          doc["note"] = StrCat("disthub does not translate ", s.id,
                               " into the canonical model; its envelopes were checked");
        }
        out.push_back(std::move(doc));
      }});
  if (!read.ok()) {
    std::cerr << args.file << ": not readable as X12: " << read.status().message() << "\n";
    return 2;
  }
  std::cout << json::serialize(out) << "\n";
  return status;
}

}  // namespace

std::function<int()> AddEdiCommands(CLI::App& app) {
  auto check_args = std::make_shared<CheckArgs>();
  auto json_args = std::make_shared<ToJsonArgs>();
  CLI::App* edi = app.add_subcommand("edi", "X12 files for EDI analysts: check and translate.");
  edi->require_subcommand(1);
  CLI::App* check = edi->add_subcommand(
      "check",
      "Check X12 files as a trading partner's translator would: each interchange's\n"
      "envelopes (ISA/IEA, GS/GE, ST/SE counts and control numbers), each segment against\n"
      "the standard's dictionary (mandatory elements, types, lengths, syntax notes), and\n"
      "interchange control numbers repeated across the files. Every error is printed where\n"
      "the 997/999 (AK9, AK5/IK5, AK3/IK3, AK4/IK4) or TA1 would report it, with its code\n"
      "and line.\n"
      "Exit status: 0 everything accepted, 1 errors found, 2 a file unreadable or not X12.");
  check->add_option("files", check_args->files, "X12 files (.edi, .x12, ...)")->required();
  check->add_flag("--lenient", check_args->lenient,
                  "Envelopes only: skip the segment dictionary (for partners known to bend the "
                  "standard)");
  check->add_flag("--ack", check_args->ack,
                  "Also print the 997/999 and TA1 each interchange would get back (control "
                  "number 1; the EDI connector keeps real ones per partner)");
  CLI::App* to_json = edi->add_subcommand(
      "to-json",
      "Translate an X12 file's transaction sets into the canonical documents they become,\n"
      "printed as one JSON array: an 850 as an order (the model's JSON), a 997/999 as what\n"
      "it acknowledges; other sets are listed as not translated. Envelope errors are listed\n"
      "with each set.\n"
      "Exit status: 0 no errors, 1 a set with envelope errors or one that does not\n"
      "translate, 2 the file unreadable or not X12.");
  to_json->add_option("file", json_args->file, "An X12 file")->required();
  to_json->add_option("--channel", json_args->channel,
                      "The sales channel the orders belong to (default \"edi\")");
  to_json->add_option("--account", json_args->account, "The partner's ERP account number");
  to_json->add_option("--currency", json_args->currency,
                      "The currency of documents without a CUR segment (default USD)");
  to_json->add_option("--unit", json_args->units,
                      "CODE=UNIT: a unit of measure code beyond EA, CA, BX, PK, PL, DZ (KI=kit)");
  to_json->add_option("--sku-qualifier", json_args->sku_qualifiers,
                      "Product id qualifiers a SKU is taken from, in order (repeat the option; "
                      "default VN VP VC SK MG UP UK EN IN BP CB)");
  return [edi, check, to_json, check_args, json_args]() -> int {
    if (!edi->parsed()) return -1;
    if (check->parsed()) return RunCheck(*check_args);
    if (to_json->parsed()) return RunToJson(*json_args);
    return 2;
  };
}

}  // namespace disthub
