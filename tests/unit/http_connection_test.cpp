// The RunPod client's HTTPS: peers are verified (certificate chain and host name), so a worker
// never posts results to a server it cannot trust. A loopback TLS server with a certificate made
// here plays the platform.
#define BOOST_TEST_MODULE http_connection
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "orchestrator/http_connection.hpp"

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A P-256 certificate for CN=localhost, signed by itself.
SelfSigned make_certificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  BIO* c = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(c, x);
  BIO* k = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  SelfSigned out{bio_text(c), bio_text(k)};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

// Serves TLS connections on 127.0.0.1, answering every request 200 "ok", until destroyed.
class TlsServer {
 public:
  explicit TlsServer(const SelfSigned& cert) : ctx_(ssl::context::tls_server) {
    ctx_.use_certificate_chain(net::buffer(cert.cert_pem));
    ctx_.use_private_key(net::buffer(cert.key_pem), ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    thread_ = std::thread([this] {
      for (;;) {
        tcp::socket socket(io_);
        beast::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        beast::ssl_stream<tcp::socket> stream(std::move(socket), ctx_);
        stream.handshake(ssl::stream_base::server, ec);
        if (ec) continue;  // the client refused our certificate
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::read(stream, buffer, req, ec);
        if (ec) continue;
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain");
        res.body() = "ok";
        res.keep_alive(false);
        res.prepare_payload();
        http::write(stream, res, ec);
        stream.shutdown(ec);
      }
    });
  }
  ~TlsServer() {
    stopping_ = true;
    beast::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  net::io_context io_;
  ssl::context ctx_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

warmtts::HttpAnswer get(ssl::context& tls, const std::string& url) {
  net::io_context io;
  warmtts::HttpConnection conn(tls);
  auto result = net::co_spawn(
      io, conn.request("GET", url, {}, "", std::chrono::milliseconds(5000)), net::use_future);
  io.run();
  return result.get();
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_refused) {
  auto cert = make_certificate();
  TlsServer server(cert);
  auto tls = warmtts::verifying_tls_context();  // the system's store does not know our cert
  auto a = get(tls, "https://localhost:" + std::to_string(server.port()) + "/job-take/w");
  BOOST_TEST(a.status == 0);
  BOOST_TEST(a.error.find("certificate verify failed") != std::string::npos, a.error);
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_another_name_is_refused) {
  auto cert = make_certificate();
  TlsServer server(cert);
  auto tls = warmtts::verifying_tls_context();
  tls.add_certificate_authority(net::buffer(cert.cert_pem));
  auto a = get(tls, "https://127.0.0.1:" + std::to_string(server.port()) + "/job-take/w");
  BOOST_TEST(a.status == 0);
  BOOST_TEST(a.error.find("certificate verify failed") != std::string::npos, a.error);
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_the_host_is_accepted) {
  auto cert = make_certificate();
  TlsServer server(cert);
  auto tls = warmtts::verifying_tls_context();
  tls.add_certificate_authority(net::buffer(cert.cert_pem));
  auto a = get(tls, "https://localhost:" + std::to_string(server.port()) + "/job-take/w");
  BOOST_TEST(a.status == 200, a.error);
  BOOST_TEST(a.body == "ok");
}
