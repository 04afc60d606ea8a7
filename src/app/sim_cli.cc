#include "app/sim_cli.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "base/files.h"
#include "sim/erp_sim.h"
#include "sim/partner_sim.h"
#include "sim/wms_sim.h"

namespace disthub {
namespace {

struct PartnerArgs {
  std::string config_file;  // "" for the defaults
  std::string listen;       // overrides the file's listen when set
};

int RunPartner(const PartnerArgs& args) {
  // Block the stop signals in every thread (the sim's threads inherit the mask); this
  // one waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  PartnerSimOptions options;
  if (!args.config_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(args.config_file);
    if (!text.ok()) {
      std::cerr << text.status().message() << "\n";
      return 2;
    }
    absl::StatusOr<PartnerSimOptions> parsed = ParsePartnerSimConfig(*text, args.config_file);
    if (!parsed.ok()) {
      std::cerr << parsed.status().message() << "\n";
      return 2;
    }
    options = *std::move(parsed);
  }
  if (!args.listen.empty()) options.listen = args.listen;
  absl::StatusOr<std::unique_ptr<PartnerSim>> sim = StartPartnerSim(options);
  if (!sim.ok()) {
    std::cerr << "disthub sim partner: " << sim.status().message() << "\n";
    return sim.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // Scripts and tests read this line to learn the port.
  std::printf("partner-sim listening on %s\n", (*sim)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("partner-sim: received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*sim)->Stop();
  std::printf("%s\n", (*sim)->Stats().ToJson().c_str());
  std::fflush(stdout);
  return 0;
}

struct WarehouseArgs {
  std::string config_file;  // required
  std::string listen;       // overrides the file's listen when set
  std::string hub_url;      // overrides warehouse.hub_url when set
};

int RunWarehouse(const WarehouseArgs& args) {
  sigset_t stop;  // as in RunPartner: every thread blocks these, this one waits for them
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  absl::StatusOr<std::string> text = ReadFile(args.config_file);
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return 2;
  }
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
  if (!sim.ok()) {
    std::cerr << "disthub sim warehouse: " << sim.status().message() << "\n";
    return sim.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // Scripts and tests read this line to learn the port.
  std::printf("warehouse-sim listening on %s\n", (*sim)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("warehouse-sim: received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*sim)->Stop();
  std::printf("{\"partner\":%s,\"warehouse\":%s}\n", (*sim)->partner().Stats().ToJson().c_str(),
              (*sim)->warehouse().Stats().ToJson().c_str());
  std::fflush(stdout);
  return 0;
}

struct ErpArgs {
  std::string config_file;  // required
  std::string listen;       // overrides the file's listen when set
};

int RunErp(const ErpArgs& args) {
  sigset_t stop;  // as in RunPartner: every thread blocks these, this one waits for them
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  absl::StatusOr<std::string> text = ReadFile(args.config_file);
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<ErpSimConfig> config = ParseErpSimConfig(*text, args.config_file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (!args.listen.empty()) config->partner.listen = args.listen;
  absl::StatusOr<std::unique_ptr<ErpPartner>> sim = StartErpSim(config->partner, config->erp);
  if (!sim.ok()) {
    std::cerr << "disthub sim erp: " << sim.status().message() << "\n";
    return sim.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // Scripts and tests read this line to learn the port.
  std::printf("erp-sim listening on %s\n", (*sim)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("erp-sim: received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*sim)->Stop();
  std::printf("{\"partner\":%s,\"erp\":%s}\n", (*sim)->partner().Stats().ToJson().c_str(),
              (*sim)->erp().Stats().ToJson().c_str());
  std::fflush(stdout);
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
  return [partner, partner_args, warehouse, warehouse_args, erp, erp_args]() -> int {
    if (partner->parsed()) return RunPartner(*partner_args);
    if (warehouse->parsed()) return RunWarehouse(*warehouse_args);
    if (erp->parsed()) return RunErp(*erp_args);
    return 2;
  };
}

}  // namespace disthub
