// HTTPS with the simulators: self-signed certificates, the partner simulator over TLS
// (and mutual TLS), and the hub's blocking HTTP client trusting them through
// TlsClientOptions, all over real connections on 127.0.0.1.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/partner_sim.h"
#include "sim/tls_cert.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_OK(WriteSelfSignedCertificate(Path("server.pem"), Path("server.key")));
    ASSERT_OK(WriteSelfSignedCertificate(Path("client.pem"), Path("client.key")));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::unique_ptr<PartnerSim> StartTls(const std::string& client_ca = "") {
    PartnerSimOptions o;
    o.tls_cert_file = Path("server.pem");
    o.tls_key_file = Path("server.key");
    o.tls_client_ca_file = client_ca;
    auto sim = StartPartnerSim(o);
    EXPECT_THAT(sim, IsOk());
    return sim.ok() ? std::move(*sim) : nullptr;
  }

  static absl::StatusOr<HttpResult> Deliver(const std::string& url, const std::string& key,
                                            TlsClientOptions tls) {
    HttpClient client(url, 5, std::move(tls));
    return client.Send("POST", "/orders", {{"Idempotency-Key", key}}, R"({"order":"A-1"})");
  }

  std::string dir_;
};

TEST_F(TlsTest, TheKeyIsReadableByItsOwnerOnlyAndTheValidityIsBounded) {
  struct stat st {};
  ASSERT_EQ(::stat(Path("server.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_THAT(WriteSelfSignedCertificate(Path("a.pem"), Path("a.key"), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("days")));
  EXPECT_THAT(WriteSelfSignedCertificate(Path("missing/dir/a.pem"), Path("a.key")),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("missing/dir/a.pem")));
}

TEST_F(TlsTest, TheSimulatorServesHttpsToAClientThatTrustsItsCertificate) {
  auto sim = StartTls();
  ASSERT_NE(sim, nullptr);
  EXPECT_THAT(sim->url(), StartsWith("https://127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(sim->url(), "k-1", {.ca_file = Path("server.pem")}));
  EXPECT_EQ(r.status, 200) << r.body;
  // Keep-alive over TLS: the same client delivers again on its connection.
  HttpClient client(sim->url(), 5, {.ca_file = Path("server.pem")});
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult again,
                         client.Send("POST", "/orders", {{"Idempotency-Key", "k-2"}}, "{}"));
    EXPECT_EQ(again.status, 200);
  }
  EXPECT_EQ(sim->Stats().accepted, 2);
  EXPECT_EQ(sim->Stats().duplicates, 2);
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheCertificateIsTurnedAwayWithTheReason) {
  auto sim = StartTls();
  ASSERT_NE(sim, nullptr);
  // The system's CAs do not include a self-signed certificate.
  EXPECT_THAT(Deliver(sim->url(), "k-1", {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("certificate")));
  // Another self-signed certificate is no better.
  EXPECT_THAT(Deliver(sim->url(), "k-1", {.ca_file = Path("client.pem")}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("certificate")));
  // Plain HTTP to the TLS port gets no answer.
  std::string plain = sim->url();
  plain.replace(0, 5, "http");
  EXPECT_THAT(Deliver(plain, "k-1", {}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sim->Stats().accepted, 0);
  EXPECT_EQ(sim->Stats().received, 0);
}

TEST_F(TlsTest, MutualTlsAdmitsOnlyAClientWithACertificateSignedByItsCa) {
  auto sim = StartTls(Path("client.pem"));
  ASSERT_NE(sim, nullptr);
  EXPECT_THAT(Deliver(sim->url(), "k-1", {.ca_file = Path("server.pem")}),
              StatusIs(absl::StatusCode::kUnavailable));
  // A certificate the simulator does not trust.
  EXPECT_THAT(Deliver(sim->url(), "k-1",
                      {.ca_file = Path("server.pem"),
                       .cert_file = Path("server.pem"),
                       .key_file = Path("server.key")}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sim->Stats().accepted, 0);
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(sim->url(), "k-1",
                                             {.ca_file = Path("server.pem"),
                                              .cert_file = Path("client.pem"),
                                              .key_file = Path("client.key")}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(sim->Stats().accepted, 1);
}

TEST_F(TlsTest, AnUnusableCertificateOrKeyStopsTheStartNamingTheFile) {
  PartnerSimOptions o;
  o.tls_cert_file = Path("nowhere.pem");
  o.tls_key_file = Path("server.key");
  EXPECT_THAT(StartPartnerSim(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("tls.cert_file: cannot load " + Path("nowhere.pem"))));
  o.tls_cert_file = Path("server.pem");
  o.tls_key_file = Path("client.key");  // not the certificate's key
  EXPECT_THAT(StartPartnerSim(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.key_file")));
  o.tls_key_file = "";
  EXPECT_THAT(StartPartnerSim(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("give both cert_file and key_file")));
  o = {};
  o.tls_client_ca_file = Path("client.pem");
  EXPECT_THAT(StartPartnerSim(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("tls.client_ca_file")));
}

TEST(PartnerSimTlsConfig, ReadsTheTlsSectionRelativeToTheFile) {
  ASSERT_OK_AND_ASSIGN(PartnerSimOptions o, ParsePartnerSimConfig(R"(
tls:
  cert_file: certs/cert.pem
  key_file: /etc/keys/key.pem
  client_ca_file: clients.pem
)",
                                                                  "/srv/sim/partner.yaml"));
  EXPECT_EQ(o.tls_cert_file, "/srv/sim/certs/cert.pem");
  EXPECT_EQ(o.tls_key_file, "/etc/keys/key.pem");
  EXPECT_EQ(o.tls_client_ca_file, "/srv/sim/clients.pem");
  EXPECT_THAT(ParsePartnerSimConfig("tls: {cert_file: a.pem}\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.key_file")));
}

}  // namespace
}  // namespace disthub::testing
