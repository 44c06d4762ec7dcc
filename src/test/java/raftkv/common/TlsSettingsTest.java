package raftkv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.DevCerts;

/** What {@code raftkv.tls} turns into, and which stores it refuses, each in one line. */
class TlsSettingsTest {
  private static final String PASSWORD = "tls-settings-test";
  private static final Map<String, String> NO_ENV = Map.of();

  @TempDir static Path tmp;
  static Path certs;

  @BeforeAll
  static void makeCerts() throws Exception {
    certs = DevCerts.make(tmp.resolve("certs"), 1, PASSWORD);
  }

  private static Config withDir(Path dir, String keyStore) {
    return TlsSettings.forDir(dir, keyStore).withFallback(ConfigFactory.load());
  }

  private static TlsSettings settings(Path dir, String keyStore) {
    return TlsSettings.fromConfig(withDir(dir, keyStore), NO_ENV).orElseThrow();
  }

  /** A directory holding copies of {@code files} from the good one and {@code password} as its password file. */
  private static Path copyOf(String name, String password, String... files) throws IOException {
    return DevCerts.copyOf(certs, tmp.resolve(name), password, files);
  }

  @Test
  void isOffByDefault() {
    assertThat(TlsSettings.fromConfig(ConfigFactory.load(), NO_ENV)).isEmpty();
  }

  @Test
  void putsArteryOnTlsTcpWithMutualAuthentication() {
    TlsSettings tls = settings(certs, "node-1.p12");
    Config akka = tls.akkaConfig().withFallback(ConfigFactory.load());
    assertThat(akka.getString("akka.remote.artery.transport")).isEqualTo("tls-tcp");
    assertThat(akka.getString("akka.remote.artery.ssl.ssl-engine-provider"))
        .isEqualTo("akka.remote.artery.tcp.ConfigSSLEngineProvider");
    Config engine = akka.getConfig("akka.remote.artery.ssl.config-ssl-engine");
    assertThat(engine.getBoolean("require-mutual-authentication")).isTrue();
    assertThat(engine.getString("protocol")).isEqualTo("TLSv1.3");
    assertThat(engine.getStringList("enabled-algorithms"))
        .containsExactly("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");
    assertThat(engine.getBoolean("hostname-verification")).isFalse();
    assertThat(Path.of(engine.getString("key-store"))).isEqualTo(certs.resolve("node-1.p12"));
    assertThat(Path.of(engine.getString("trust-store"))).isEqualTo(certs.resolve("truststore.p12"));
    assertThat(engine.getString("key-store-password")).isEqualTo(PASSWORD);
    assertThat(engine.getString("key-password")).isEqualTo(PASSWORD);
    assertThat(engine.getString("trust-store-password")).isEqualTo(PASSWORD);
    assertThat(tls.toString()).doesNotContain(PASSWORD);
  }

  @Test
  void hostnameVerificationCanBeTurnedOn() {
    Config config =
        ConfigFactory.parseMap(Map.of("raftkv.tls.hostname-verification", true)).withFallback(withDir(certs, "node-1.p12"));
    TlsSettings tls = TlsSettings.fromConfig(config, NO_ENV).orElseThrow();
    assertThat(tls.akkaConfig().getBoolean("akka.remote.artery.ssl.config-ssl-engine.hostname-verification")).isTrue();
  }

  @Test
  void httpsRequiresAClientCertificate() {
    SSLEngine engine = TlsSettings.httpsServerEngine(settings(certs, "node-1.p12").sslContext());
    assertThat(engine.getNeedClientAuth()).isTrue();
    assertThat(engine.getUseClientMode()).isFalse();
    assertThat(engine.getEnabledProtocols()).containsExactly("TLSv1.3");
  }

  @Test
  void thePasswordVariableWinsOverThePasswordFile() throws IOException {
    Path dir = copyOf("env-password", "not-it", "client.p12", "truststore.p12");
    TlsSettings tls =
        TlsSettings.fromConfig(withDir(dir, "client.p12"), Map.of(TlsSettings.PASSWORD_ENV, PASSWORD)).orElseThrow();
    assertThat(tls.password()).isEqualTo(PASSWORD);
    assertThat(tls.sslContext().getProtocol()).isEqualTo("TLSv1.3");
  }

  @Test
  void refusesAMissingKeyStore() {
    assertOneLine(
        () -> settings(certs, "node-9.p12").sslContext(),
        "TLS key store " + certs.resolve("node-9.p12") + " does not exist");
  }

  @Test
  void refusesAMissingTrustStore() throws IOException {
    Path dir = copyOf("no-trust-store", PASSWORD, "client.p12");
    assertOneLine(
        () -> settings(dir, "client.p12").sslContext(),
        "TLS trust store " + dir.resolve("truststore.p12") + " does not exist");
  }

  @Test
  void refusesAWrongPassword() throws IOException {
    Path dir = copyOf("wrong-password", "wrong", "node-1.p12", "truststore.p12");
    assertOneLine(
        () -> settings(dir, "node-1.p12").sslContext(),
        "cannot open TLS key store " + dir.resolve("node-1.p12") + ": wrong password");
  }

  @Test
  void refusesAStoreThatIsNotPkcs12() throws IOException {
    Path dir = copyOf("not-pkcs12", PASSWORD, "truststore.p12");
    Files.writeString(dir.resolve("node-1.p12"), "not a key store");
    assertThatThrownBy(() -> settings(dir, "node-1.p12").sslContext())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot open TLS key store " + dir.resolve("node-1.p12") + " (is it PKCS12?)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void refusesAnExpiredCertificate() throws Exception {
    Path dir = copyOf("expired", PASSWORD, "truststore.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool, "-genkeypair", "-alias", "old", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=old", "-startdate", "-3d", "-validity", "1", "-storetype", "PKCS12",
                "-keystore", dir.resolve("node-1.p12").toString(), "-storepass", PASSWORD)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThatThrownBy(() -> settings(dir, "node-1.p12").sslContext())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the certificate in TLS key store " + dir.resolve("node-1.p12") + " is not valid now: ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void refusesATrustStoreAsTheKeyStore() {
    assertOneLine(
        () -> settings(certs, "truststore.p12").sslContext(),
        "TLS key store " + certs.resolve("truststore.p12") + " holds no private key");
  }

  @Test
  void refusesTlsWithoutAPassword() {
    Config config =
        ConfigFactory.parseMap(
                Map.of(
                    "raftkv.tls.enabled", true,
                    "raftkv.tls.key-store", "k.p12",
                    "raftkv.tls.trust-store", "t.p12"))
            .withFallback(ConfigFactory.load());
    assertOneLine(
        () -> TlsSettings.fromConfig(config, NO_ENV),
        "raftkv.tls: no password: set RAFTKV_TLS_PASSWORD or raftkv.tls.password-file");
  }

  @Test
  void refusesTlsWithoutAKeyStore() {
    Config config = ConfigFactory.parseMap(Map.of("raftkv.tls.enabled", true)).withFallback(ConfigFactory.load());
    assertOneLine(() -> TlsSettings.fromConfig(config, NO_ENV), "raftkv.tls.key-store is not set (TLS is on)");
  }

  @Test
  void refusesADirectoryThatIsNotOne() {
    Path missing = tmp.resolve("missing");
    assertOneLine(
        () -> TlsSettings.forDir(missing, "client.p12"),
        "--tls-dir " + missing + " is not a directory (scripts/dev-certs.sh DIR makes one)");
  }

  @Test
  void devCertsRefusesToOverwriteADirectory() throws Exception {
    Process p =
        new ProcessBuilder("bash", "scripts/dev-certs.sh", certs.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isEqualTo(1);
    assertThat(out.lines())
        .containsExactly(
            "dev-certs.sh: " + certs + " already exists; not overwriting it (remove it or give another DIR)");
  }

  private static void assertOneLine(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }
}
