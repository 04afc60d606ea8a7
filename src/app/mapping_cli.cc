#include "app/mapping_cli.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/files.h"
#include "base/money.h"
#include "base/strings.h"
#include "mapping/mapping.h"

namespace disthub {
namespace {

namespace json = boost::json;

struct TestArgs {
  std::string mapping_file;
  std::string payload_file;       // "-": standard input
  std::vector<std::string> vars;  // NAME=VALUE
  std::string list;               // JSON Pointer to a list of documents, or ""
};

std::string Lines(size_t n) { return StrCat(n, n == 1 ? " line" : " lines"); }

// The summary of a document other than an order: what it is and its key fields.
std::string Summary(const mapping::MappedDocument& d) {
  if (const Shipment* s = d.get<Shipment>()) {
    return StrCat("shipment ", s->id, " of order ", s->order_id, " with ", Lines(s->lines.size()),
                  ", ", s->carrier, s->tracking_number.empty() ? "" : " ", s->tracking_number);
  }
  if (const Return* r = d.get<Return>()) {
    return StrCat("return ", r->id, " of order ", r->order_id, " with ", Lines(r->lines.size()));
  }
  if (const InventoryPosition* p = d.get<InventoryPosition>()) {
    return StrCat(p->on_hand, " on hand of ", p->sku, " at ", p->location, " as of ",
                  disthub::FormatTime(p->as_of));
  }
  if (const mapping::Tracking* t = d.get<mapping::Tracking>()) {
    return StrCat("tracking ", t->tracking_number, " (", t->carrier, "): ", EnumName(t->status),
                  " at ", disthub::FormatTime(t->status_at), ", ", t->events.size(),
                  t->events.size() == 1 ? " event" : " events");
  }
  if (const mapping::Cancellation* c = d.get<mapping::Cancellation>()) {
    return StrCat("cancellation of order ", c->channel_order_ref,
                  c->whole_order() ? "" : StrCat(" (", Lines(c->lines.size()), ")"),
                  c->reason.empty() ? "" : StrCat(", ", c->reason), " at ",
                  disthub::FormatTime(c->cancelled_at));
  }
  return "mapped";
}

int RunTest(const TestArgs& args) {
  absl::StatusOr<mapping::Mapping> m = mapping::Mapping::Load(args.mapping_file);
  if (!m.ok()) {
    std::cerr << m.status().message() << "\n";
    return 2;
  }
  std::string text;
  if (args.payload_file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    absl::StatusOr<std::string> read = ReadFile(args.payload_file);
    if (!read.ok()) {
      std::cerr << read.status().message() << "\n";
      return 2;
    }
    text = *std::move(read);
  }
  absl::StatusOr<mapping::ParsedPayload> parsed = mapping::ParsePayload(*m, text);
  if (!parsed.ok()) {
    std::cerr << args.payload_file << ": " << parsed.status().message() << "\n";
    return 2;
  }
  json::value payload = std::move(parsed->value);
  mapping::MappingContext context;
  context.format = parsed->format;
  context.vars["channel"] = "test";  // the channel instance a connector would name
  for (const std::string& v : args.vars) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "--var " << v << ": write NAME=VALUE\n";
      return 2;
    }
    context.vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  // A list (a page of a REST API's orders) is mapped element by element.
  if (!args.list.empty()) {
    boost::system::error_code found;
    const json::value* list = payload.find_pointer(args.list, found);
    if (list == nullptr || !list->is_array()) {
      std::cerr << args.payload_file << ": --list " << args.list << ": no list there\n";
      return 2;
    }
    json::value only = *list;
    payload = std::move(only);
  }
  std::vector<const json::value*> documents;
  if (payload.is_array()) {
    for (const json::value& e : payload.get_array()) documents.push_back(&e);
  } else {
    documents.push_back(&payload);
  }
  const std::string label = m->name() + " v" + std::to_string(m->version());
  int failed = 0;
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string which = payload.is_array() ? label + " [" + std::to_string(i) + "]" : label;
    // Orders through MapOrder, as the API takes them; any other target through MapDocument.
    std::optional<mapping::MappedOrder> order;
    std::optional<mapping::MappedDocument> other;
    if (m->target() == "order") {
      order = mapping::MapOrder(*m, *documents[i], context);
    } else {
      other = mapping::MapDocument(*m, *documents[i], context);
    }
    const json::value& document = order ? order->document : other->document;
    const std::vector<mapping::MappingError>& errors = order ? order->errors : other->errors;
    std::cout << json::serialize(document) << "\n";
    if (!errors.empty()) {
      ++failed;
      for (const mapping::MappingError& e : errors) {
        std::cerr << (payload.is_array() ? "[" + std::to_string(i) + "] " : "")
                  << e.ToString(m->file()) << "\n";
      }
      std::cerr << which << ": " << errors.size() << (errors.size() == 1 ? " error" : " errors")
                << "\n";
      continue;
    }
    if (other) {
      std::cerr << which << ": ok, " << Summary(*other) << "\n";
      continue;
    }
    std::cerr << which << ": ok, order " << order->order->channel_order_ref << " with "
              << Lines(order->order->lines.size()) << ", grand total "
              << FormatDecimal(order->order->totals.grand_total) << " " << order->order->currency
              << "\n";
  }
  if (payload.is_array()) {
    std::cerr << label << ": " << documents.size() - failed << " of " << documents.size()
              << " mapped\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

std::function<int()> AddMappingCommands(CLI::App& app) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* mapping = app.add_subcommand(
      "mapping", "Try declarative mappings (docs/mappings.md) on partner payloads.");
  mapping->require_subcommand(1);
  CLI::App* test = mapping->add_subcommand(
      "test",
      "Map one payload: prints the canonical document (JSON) on stdout and a summary or\n"
      "every error (mapping file, rule, payload path) on stderr. The document is also\n"
      "decoded and checked: an order as the API checks orders (totals against the lines),\n"
      "a shipment, return or inventory position by the model, tracking and cancellations by\n"
      "their own checks.\n"
      "Exit status: 0 mapped, 1 the payload does not map, 2 unusable mapping or payload file.");
  test->add_option("mapping", args->mapping_file,
                   "Mapping file (YAML), such as mappings/shopify-order.yaml")
      ->required();
  test->add_option("payload", args->payload_file,
                   "Partner payload: JSON, or XML for a mapping with formats: [xml]; - reads "
                   "standard input")
      ->required();
  test->add_option("--list", args->list,
                   "Map each element of the list at this JSON Pointer (a REST page: /orders); a "
                   "payload that is itself a list is mapped element by element anyway");
  test->add_option("--var", args->vars,
                   "NAME=VALUE for rules with `var: NAME` (channel defaults to \"test\")");
  return [mapping, args]() -> int {
    if (!mapping->parsed()) return -1;
    return RunTest(*args);
  };
}

}  // namespace disthub
