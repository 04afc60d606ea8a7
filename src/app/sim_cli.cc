#include "app/sim_cli.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/config.h"
#include "base/files.h"
#include "base/strings.h"
#include "sim/carrier_sim.h"
#include "sim/erp_sim.h"
#include "sim/partner_sim.h"
#include "sim/tls_cert.h"
#include "sim/wms_sim.h"
#include "sim/x12_3pl_sim.h"

namespace disthub {
namespace {

// Blocks the stop signals in every thread (the sim's threads inherit the mask); Serve
// waits for them. Call before starting a simulator.
sigset_t BlockStopSignals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  return stop;
}

// Prints "NAME listening on URL" (scripts and tests read it to learn the port), waits
// for SIGINT or SIGTERM, stops the simulator and prints its final stats.
int Serve(const sigset_t& stop, const char* name, const std::string& url,
          const std::function<void()>& stop_sim, const std::function<std::string()>& stats) {
  std::printf("%s listening on %s\n", name, url.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("{}: received {}, stopping", name, sig == SIGINT ? "SIGINT" : "SIGTERM");
  stop_sim();
  std::printf("%s\n", stats().c_str());
  std::fflush(stdout);
  return 0;
}

// The file's text, or nullopt after printing why not.
std::optional<std::string> ReadConfigFile(const std::string& file) {
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return std::nullopt;
  }
  return *std::move(text);
}

// The partner simulator's options from `config_file` ("" for the defaults) with `listen`
// overriding the file's when set; nullopt after printing why not.
std::optional<PartnerSimOptions> PartnerOptions(const std::string& config_file,
                                                const std::string& listen) {
  PartnerSimOptions options;
  if (!config_file.empty()) {
    std::optional<std::string> text = ReadConfigFile(config_file);
    if (!text) return std::nullopt;
    absl::StatusOr<PartnerSimOptions> parsed = ParsePartnerSimConfig(*text, config_file);
    if (!parsed.ok()) {
      std::cerr << parsed.status().message() << "\n";
      return std::nullopt;
    }
    options = *std::move(parsed);
  }
  if (!listen.empty()) options.listen = listen;
  return options;
}

// The exit status for a simulator that failed to start.
int StartFailed(const char* command, const absl::Status& status) {
  std::cerr << command << ": " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

struct PartnerArgs {
  std::string config_file;  // "" for the defaults
  std::string listen;       // overrides the file's listen when set
};

int RunPartner(const PartnerArgs& args) {
  const sigset_t stop = BlockStopSignals();
  std::optional<PartnerSimOptions> options = PartnerOptions(args.config_file, args.listen);
  if (!options) return 2;
  absl::StatusOr<std::unique_ptr<PartnerSim>> sim = StartPartnerSim(*options);
  if (!sim.ok()) return StartFailed("disthub sim partner", sim.status());
  PartnerSim& s = **sim;
  return Serve(
      stop, "partner-sim", s.url(), [&s] { s.Stop(); }, [&s] { return s.Stats().ToJson(); });
}

struct WarehouseArgs {
  std::string config_file;  // required
  std::string listen;       // overrides the file's listen when set
  std::string hub_url;      // overrides warehouse.hub_url when set
};

int RunWarehouse(const WarehouseArgs& args) {
  const sigset_t stop = BlockStopSignals();
  std::optional<std::string> text = ReadConfigFile(args.config_file);
  if (!text) return 2;
  absl::StatusOr<WarehouseSimConfig> config = ParseWarehouseSimConfig(*text, args.config_file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (!args.listen.empty()) config->partner.listen = args.listen;
  if (!args.hub_url.empty()) config->warehouse.hub_url = args.hub_url;
  if (config->warehouse.hub_url.empty()) {
    std::cerr << args.config_file << ": warehouse.hub_url: is required (or give --hub)\n";
    return 2;
  }
  if (config->warehouse.api_key.empty()) {
    spdlog::warn("warehouse-sim: no warehouse.api_key_env: calls to the hub carry no API key");
  }
  absl::StatusOr<std::unique_ptr<WarehousePartner>> sim =
      StartWarehouseSim(config->partner, config->warehouse);
  if (!sim.ok()) return StartFailed("disthub sim warehouse", sim.status());
  WarehousePartner& s = **sim;
  return Serve(
      stop, "warehouse-sim", s.url(), [&s] { s.Stop(); },
      [&s] {
        return StrCat("{\"partner\":", s.partner().Stats().ToJson(),
                      ",\"warehouse\":", s.warehouse().Stats().ToJson(), "}");
      });
}

struct ErpArgs {
  std::string config_file;  // required
  std::string listen;       // overrides the file's listen when set
};

int RunErp(const ErpArgs& args) {
  const sigset_t stop = BlockStopSignals();
  std::optional<std::string> text = ReadConfigFile(args.config_file);
  if (!text) return 2;
  absl::StatusOr<ErpSimConfig> config = ParseErpSimConfig(*text, args.config_file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (!args.listen.empty()) config->partner.listen = args.listen;
  absl::StatusOr<std::unique_ptr<ErpPartner>> sim = StartErpSim(config->partner, config->erp);
  if (!sim.ok()) return StartFailed("disthub sim erp", sim.status());
  ErpPartner& s = **sim;
  return Serve(
      stop, "erp-sim", s.url(), [&s] { s.Stop(); },
      [&s] {
        return StrCat("{\"partner\":", s.partner().Stats().ToJson(),
                      ",\"erp\":", s.erp().Stats().ToJson(), "}");
      });
}

struct ThreePlArgs {
  std::string from_hub, to_hub;  // required: the connector's outbound_folder and folder
  std::string id = "3PLCENTRAL", hub_id = "DISTHUB";
  bool silent = false, short_first = false;
};

int RunThreePl(const ThreePlArgs& args) {
  const sigset_t stop = BlockStopSignals();
  absl::StatusOr<std::unique_ptr<X12ThreePlSim>> sim =
      X12ThreePlSim::Start({.from_hub = args.from_hub,
                            .to_hub = args.to_hub,
                            .id = args.id,
                            .hub_id = args.hub_id,
                            .silent = args.silent,
                            .short_first = args.short_first});
  if (!sim.ok()) return StartFailed("disthub sim 3pl-x12", sim.status());
  X12ThreePlSim& s = **sim;
  return Serve(
      stop, "3pl-x12-sim", StrCat(args.from_hub, " -> ", args.to_hub), [&s] { s.Stop(); },
      [&s] {
        const X12ThreePlStats st = s.Stats();
        return StrCat("{\"orders_received\":", st.orders_received,
                      ",\"acknowledged\":", st.acknowledged, ",\"shipments\":", st.shipments,
                      ",\"units_shipped\":", st.units_shipped, ",\"unreadable\":", st.unreadable,
                      "}");
      });
}

struct CarrierArgs {
  std::string from_config;  // required: a hub configuration whose carriers list services
  std::string config_file;  // the partner simulator's keys (faults); "" for the defaults
  std::string listen;       // overrides the file's listen when set
};

int RunCarrier(const CarrierArgs& args) {
  const sigset_t stop = BlockStopSignals();
  absl::StatusOr<Config> hub = LoadConfig(args.from_config);
  if (!hub.ok()) {
    std::cerr << hub.status().message() << "\n";
    return 2;
  }
  std::vector<orchestration::RateCard> cards;
  for (const CarrierConfig& c : hub->carriers) {
    if (!c.services.empty())
      cards.push_back({.carrier = c.name, .version = "1", .services = c.services});
  }
  if (cards.empty()) {
    std::cerr << args.from_config
              << ": no carrier lists its services: there is no rate card to serve\n";
    return 2;
  }
  std::optional<PartnerSimOptions> options = PartnerOptions(args.config_file, args.listen);
  if (!options) return 2;
  absl::StatusOr<std::unique_ptr<CarrierPartner>> sim = StartCarrierSim(*options, std::move(cards));
  if (!sim.ok()) return StartFailed("disthub sim carrier", sim.status());
  CarrierPartner& s = **sim;
  for (const CarrierConfig& c : hub->carriers) {
    if (!c.services.empty()) std::printf("  %s: %s\n", c.name.c_str(), s.RatesUrl(c.name).c_str());
  }
  return Serve(
      stop, "carrier-sim", s.url(), [&s] { s.Stop(); },
      [&s] {
        return StrCat("{\"partner\":", s.partner().Stats().ToJson(),
                      ",\"carriers\":", s.carriers().Stats().ToJson(), "}");
      });
}

struct TlsCertArgs {
  std::string out_dir;
  int days = 30;
};

int RunTlsCert(const TlsCertArgs& args) {
  const std::string cert = (std::filesystem::path(args.out_dir) / "cert.pem").string();
  const std::string key = (std::filesystem::path(args.out_dir) / "key.pem").string();
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  if (ec) {
    std::cerr << "disthub sim tls-cert: cannot create " << args.out_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  if (absl::Status s = WriteSelfSignedCertificate(cert, key, args.days); !s.ok()) {
    return StartFailed("disthub sim tls-cert", s);
  }
  std::printf(
      "wrote %s (certificate: the simulator's tls.cert_file, the hub's tls.ca_file)\n"
      "wrote %s (its private key: the simulator's tls.key_file; mode 0600)\n"
      "self-signed for 127.0.0.1, ::1 and localhost, valid %d days; for tests and "
      "trials only\n",
      cert.c_str(), key.c_str(), args.days);
  return 0;
}

}  // namespace

std::function<int()> AddSimCommands(CLI::App& app) {
  auto partner_args = std::make_shared<PartnerArgs>();
  CLI::App* sim = app.add_subcommand(
      "sim", "Run a partner simulator for tests, demos and benchmarks (docs/simulators.md).");
  sim->require_subcommand(1);
  CLI::App* partner = sim->add_subcommand(
      "partner",
      "An HTTP partner receiving the hub's deliveries: drops duplicates by idempotency key,\n"
      "injects configured faults, and reports what it got under /_sim/ (stats, messages).\n"
      "Prints \"partner-sim listening on URL\", then final stats as JSON on SIGINT/SIGTERM.");
  partner
      ->add_option("-c,--config", partner_args->config_file,
                   "Configuration file (YAML); see examples/partner-sim.yaml. Default: no faults")
      ->check(CLI::ExistingFile);
  partner->add_option("--listen", partner_args->listen,
                      "Override listen, HOST:PORT on a loopback address (port 0 picks a free "
                      "port; the bound address is printed)");
  auto warehouse_args = std::make_shared<WarehouseArgs>();
  CLI::App* warehouse = sim->add_subcommand(
      "warehouse",
      "A warehouse (WMS/3PL) behind the partner simulator: acts on the hub's\n"
      "fulfillment.release/cancel deliveries by calling the hub's API back (acknowledge,\n"
      "ship, answer cancellations), and reports its own records under /_sim/warehouse.\n"
      "Prints \"warehouse-sim listening on URL\", then final stats as JSON on SIGINT/SIGTERM.");
  warehouse
      ->add_option("-c,--config", warehouse_args->config_file,
                   "Configuration file (YAML): the partner keys plus a warehouse: section; see "
                   "examples/warehouse-sim.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  warehouse->add_option("--listen", warehouse_args->listen,
                        "Override listen, HOST:PORT on a loopback address (port 0 picks a free "
                        "port; the bound address is printed)");
  warehouse->add_option("--hub", warehouse_args->hub_url,
                        "Override warehouse.hub_url, the hub's base URL (http://HOST:PORT)");
  auto erp_args = std::make_shared<ErpArgs>();
  CLI::App* erp = sim->add_subcommand(
      "erp",
      "The ERP behind the partner simulator: answers credit checks (POST /credit-checks)\n"
      "and quotes (POST /quotes), books the hub's invoice.posted and credit_memo.posted\n"
      "deliveries, and reports its books under /_sim/erp.\n"
      "Prints \"erp-sim listening on URL\", then final stats as JSON on SIGINT/SIGTERM.");
  erp->add_option("-c,--config", erp_args->config_file,
                  "Configuration file (YAML): the partner keys plus an erp: section; see "
                  "examples/erp-sim.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  erp->add_option("--listen", erp_args->listen,
                  "Override listen, HOST:PORT on a loopback address (port 0 picks a free "
                  "port; the bound address is printed)");
  auto carrier_args = std::make_shared<CarrierArgs>();
  CLI::App* carrier = sim->add_subcommand(
      "carrier",
      "The carriers' rate service: serves each carrier's rate card at\n"
      "GET /carriers/NAME/rates (with an ETag; 304 when unchanged), the cards built from\n"
      "the services of a hub configuration's carriers, and reports under /_sim/carriers.\n"
      "Prints \"carrier-sim listening on URL\" and each card's URL (for carriers[].rates_url),\n"
      "then final stats as JSON on SIGINT/SIGTERM.");
  carrier
      ->add_option("--from-config", carrier_args->from_config,
                   "A hub configuration file (examples/harbor.yaml): its carriers with "
                   "services become the rate cards served")
      ->required()
      ->check(CLI::ExistingFile);
  carrier
      ->add_option("-c,--config", carrier_args->config_file,
                   "The partner simulator's configuration (YAML: listen, faults); see "
                   "examples/partner-sim.yaml. Default: no faults")
      ->check(CLI::ExistingFile);
  carrier->add_option("--listen", carrier_args->listen,
                      "Override listen, HOST:PORT on a loopback address (port 0 picks a free "
                      "port; the bound address is printed)");
  auto tpl_args = std::make_shared<ThreePlArgs>();
  CLI::App* tpl = sim->add_subcommand(
      "3pl-x12",
      "A 3PL trading X12 files with an x12-file-drop connector (docs/simulators.md): reads\n"
      "each 940 the hub writes into FROM_HUB, answers in TO_HUB with a 997 and a 945.\n"
      "Prints \"3pl-x12-sim listening on FROM_HUB -> TO_HUB\", then final stats as JSON on\n"
      "SIGINT/SIGTERM.");
  tpl->add_option("--from-hub", tpl_args->from_hub, "The connector's outbound_folder")->required();
  tpl->add_option("--to-hub", tpl_args->to_hub, "The connector's folder")->required();
  tpl->add_option("--id", tpl_args->id, "Our ISA06 (the connector's partner_id)")
      ->capture_default_str();
  tpl->add_option("--hub-id", tpl_args->hub_id, "The hub's ISA08 (the connector's our_id)")
      ->capture_default_str();
  tpl->add_flag("--silent", tpl_args->silent,
                "Answer nothing (no 997, no 945): the hub's acknowledgement deadline must act");
  tpl->add_flag("--short-first", tpl_args->short_first,
                "Ship each order's last line one unit short first, the rest in a second 945");
  auto cert_args = std::make_shared<TlsCertArgs>();
  CLI::App* cert = sim->add_subcommand(
      "tls-cert",
      "Write a self-signed certificate and key (DIR/cert.pem, DIR/key.pem) for 127.0.0.1,\n"
      "::1 and localhost, to run the simulators over HTTPS (their tls: section) with the\n"
      "hub trusting the certificate (tls.ca_file). For tests and trials only.");
  cert->add_option("dir", cert_args->out_dir, "Folder to write into (made if missing)")->required();
  cert->add_option("--days", cert_args->days, "Validity in days")
      ->default_val(30)
      ->check(CLI::Range(1, 3650));
  return [partner, partner_args, warehouse, warehouse_args, erp, erp_args, carrier, carrier_args,
          tpl, tpl_args, cert, cert_args]() -> int {
    if (cert->parsed()) return RunTlsCert(*cert_args);
    if (tpl->parsed()) return RunThreePl(*tpl_args);
    if (partner->parsed()) return RunPartner(*partner_args);
    if (warehouse->parsed()) return RunWarehouse(*warehouse_args);
    if (erp->parsed()) return RunErp(*erp_args);
    if (carrier->parsed()) return RunCarrier(*carrier_args);
    return 2;
  };
}

}  // namespace disthub
