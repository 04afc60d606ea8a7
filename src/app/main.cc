// disthub: the command line. `disthub --help` lists the commands.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/config.h"
#include "app/connectors.h"
#include "app/demo.h"
#include "app/hub.h"
#include "app/edi_cli.h"
#include "app/mapping_cli.h"
#include "app/ops_cli.h"
#include "app/sim_cli.h"

#ifndef DISTHUB_VERSION
#define DISTHUB_VERSION "0.0.0"
#endif

namespace {

int Serve(const std::string& config_file, const std::string& listen, const std::string& data_dir) {
  // Block the stop signals in every thread; this one waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto config = disthub::LoadConfig(config_file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (!listen.empty()) config->server.listen = listen;
  if (!data_dir.empty()) config->store.data_dir = data_dir;
  if (auto l = disthub::SplitListen(config->server.listen); !l.ok()) {
    std::cerr << "--listen: " << l.status().message() << "\n";
    return 2;
  }
  auto hub = disthub::StartHub(*config, disthub::RealEnv());
  if (!hub.ok()) {
    std::cerr << "disthub: " << hub.status().message() << "\n";
    return 1;
  }
  // Scripts and tests read this line to learn the port.
  std::printf("disthub listening on %s\n", (*hub)->url().c_str());
  std::fflush(stdout);
  spdlog::info("serving {} (store {}, synchronous={})", config_file, config->store.data_dir,
               config->store.synchronous);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("received {}, finishing writes already taken and stopping",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*hub)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer (or a closed stdout) going away is an error to handle, never a reason to die.
  signal(SIGPIPE, SIG_IGN);
  // Logs go to stderr; stdout carries only results (the bound address, demo reports).
  spdlog::set_default_logger(spdlog::stderr_color_mt("disthub"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  CLI::App app{
      "disthub: a distribution integration hub. It takes orders from every sales channel,\n"
      "stores them durably and exactly once, and records every change as an event.\n"
      "Documentation: README.md, docs/api.md, docs/configuration.md."};
  app.require_subcommand(1);
  app.set_version_flag("--version", DISTHUB_VERSION);

  std::string config_file, listen, data_dir;
  CLI::App* serve =
      app.add_subcommand("serve", "Run the hub: the HTTP API on the configured store.");
  serve
      ->add_option("-c,--config", config_file,
                   "Configuration file (YAML); see examples/harbor.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  serve->add_option("--listen", listen,
                    "Override server.listen, HOST:PORT (port 0 picks a free port; the bound "
                    "address is printed)");
  serve->add_option("--data-dir", data_dir, "Override store.data_dir");

  disthub::DemoOptions demo_options;
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Run a trading day of the reference scenario (../shared/SCENARIO.md): a hub (disthub serve\n"
      "on a temporary embedded store) and its partners as simulators -- two warehouses and a\n"
      "3PL, the ERP, the channels, an alert webhook -- with the faults on. Orders from every\n"
      "channel (duplicates and bad ones among them), cancellations, restocks, late inventory\n"
      "events, an ERP outage, returns and a stock count. Live progress, then the day's report\n"
      "and its checks against the simulators' own records (exit status 0 when all held).");
  demo->add_option("--orders", demo_options.orders, "Distinct orders to send")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  demo->add_option("--rate", demo_options.rate, "Orders sent per second (a pace to watch)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  demo->add_flag("--fast", demo_options.fast,
                 "Flat out: no pacing, warehouses that answer in milliseconds");
  demo->add_option("--kill-hub-after", demo_options.kill_hub_after,
                   "kill -9 the hub once this many orders were sent, restart it on the same "
                   "port and store, and go on (the checks must still hold)")
      ->check(CLI::Range(0, 10'000'000));
  demo->add_option("--settle-seconds", demo_options.settle_seconds,
                   "Most time to wait at the end for every order to settle")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  demo->add_option("--connections", demo_options.connections, "Concurrent keep-alive connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 512));
  demo->add_option("--seed", demo_options.seed, "Seed for the traffic (same seed, same orders)")
      ->capture_default_str();
  demo->add_option("--config", demo_options.config_file,
                   "Use this configuration instead of the built-in examples/harbor.yaml")
      ->check(CLI::ExistingFile);
  demo->add_option("--data-dir", demo_options.data_dir,
                   "Keep the store in this folder instead of a temporary one");
  demo->add_flag("--keep", demo_options.keep, "Keep the temporary store folder afterwards");

  CLI::App* check = app.add_subcommand("check-config", "Validate a configuration file and exit.");
  check->add_option("config", config_file, "Configuration file (YAML)")->required();

  app.add_subcommand("connectors",
                     "List the connector types a configuration's connectors[] may use, with "
                     "every setting, its type, its default and what it is for.");
  app.add_subcommand("version", "Print the version.");
  std::function<int()> run_sim = disthub::AddSimCommands(app);
  std::function<int()> run_ops = disthub::AddOpsCommands(app);
  std::function<int()> run_mapping = disthub::AddMappingCommands(app);
  std::function<int()> run_edi = disthub::AddEdiCommands(app);

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("serve")) return Serve(config_file, listen, data_dir);
  if (app.got_subcommand("demo")) return disthub::RunDemo(demo_options);
  if (app.got_subcommand("sim")) return run_sim();
  if (int status = run_ops(); status >= 0) return status;
  if (int status = run_mapping(); status >= 0) return status;
  if (int status = run_edi(); status >= 0) return status;
  if (app.got_subcommand("connectors")) {
    std::cout << disthub::DescribeConnectorTypes();
    return 0;
  }
  if (app.got_subcommand("check-config")) {
    auto config = disthub::LoadConfig(config_file);
    if (!config.ok()) {
      std::cerr << config.status().message() << "\n";
      return 2;
    }
    std::cout << config_file << ": ok (" << config->channels.size() << " channels, "
              << config->partners.size() << " partners, " << config->connectors.size()
              << " connectors)\n";
    return 0;
  }
  std::cout << "disthub " << DISTHUB_VERSION << "\n";
  return 0;
}
