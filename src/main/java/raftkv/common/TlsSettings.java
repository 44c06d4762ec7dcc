package raftkv.common;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for a node or a client, from {@code raftkv.tls} (defaults in {@code reference.conf}): one key store
 * (this process's key and certificate chain) and one trust store (the cluster CA's certificate),
 * both PKCS12 under one password. The same two stores secure Artery ({@code tls-tcp}, both sides
 * of every connection show a certificate the other trusts) and the node's HTTPS port (a client
 * certificate required too). So with TLS on, a process whose certificate the CA did not sign can
 * neither take part as a peer nor issue commands, over remoting or HTTP.
 *
 * <p>The password is never on a command line: it is {@code RAFTKV_TLS_PASSWORD} if set, else the
 * first line of {@code raftkv.tls.password-file}. {@code --tls-dir DIR} (on kvstore and kv_client)
 * stands for the stores {@code scripts/dev-certs.sh DIR} makes: {@link #forDir}.
 *
 * @param keyStore this process's key and certificate chain
 * @param trustStore the certificates of the CAs this process trusts (the cluster's CA)
 * @param password the password of both stores (and of the key)
 * @param hostnameVerification Artery also checks that a peer's certificate names the host it is
 *     reached at (off: any certificate signed by the CA is accepted)
 */
public record TlsSettings(Path keyStore, Path trustStore, String password, boolean hostnameVerification) {

  /** The stores' password, ahead of {@code raftkv.tls.password-file}. */
  public static final String PASSWORD_ENV = "RAFTKV_TLS_PASSWORD";
  /** TLS 1.3 only: both ends are this JDK (curl and other clients have it too). */
  static final String PROTOCOL = "TLSv1.3";
  static final List<String> CIPHER_SUITES = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");

  /** The trust store's name in a {@code --tls-dir} (as {@code scripts/dev-certs.sh} makes it). */
  public static final String TRUST_STORE_FILE = "truststore.p12";
  public static final String PASSWORD_FILE = "password";

  @Override
  public String toString() {
    return "TlsSettings[keyStore=" + keyStore + ", trustStore=" + trustStore + ", hostnameVerification="
        + hostnameVerification + "]"; // never the password
  }

  /**
   * The settings {@code --tls-dir DIR} stands for, as a layer over {@code application.conf}:
   * TLS on, with {@code DIR/KEYSTORE} (for example {@code node-1.p12}, {@code client.p12}), {@code
   * DIR/truststore.p12} and {@code DIR/password}.
   *
   * @throws IllegalArgumentException when {@code dir} is not a directory
   */
  public static Config forDir(Path dir, String keyStoreFile) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "--tls-dir " + dir + " is not a directory (scripts/dev-certs.sh DIR makes one)");
    }
    return ConfigFactory.parseMap(
        Map.of(
            "raftkv.tls.enabled", true,
            "raftkv.tls.key-store", dir.resolve(keyStoreFile).toString(),
            "raftkv.tls.trust-store", dir.resolve(TRUST_STORE_FILE).toString(),
            "raftkv.tls.password-file", dir.resolve(PASSWORD_FILE).toString()),
        "--tls-dir " + dir);
  }

  /**
   * The settings in {@code raftkv.tls}, or empty when {@code enabled} is off. {@code env} is the
   * environment (for the password).
   *
   * @throws IllegalArgumentException with a one-line reason when TLS is on but a setting is
   *     missing or the password cannot be read
   */
  public static Optional<TlsSettings> fromConfig(Config config, Map<String, String> env) {
    Config c = config.getConfig("raftkv.tls");
    if (!c.getBoolean("enabled")) {
      return Optional.empty();
    }
    Path keyStore = path(c, "key-store");
    Path trustStore = path(c, "trust-store");
    String password = env.get(PASSWORD_ENV);
    if (password == null || password.isEmpty()) {
      String file = c.getString("password-file");
      if (file.isBlank()) {
        throw new IllegalArgumentException(
            "raftkv.tls: no password: set " + PASSWORD_ENV + " or raftkv.tls.password-file");
      }
      password = readPassword(path(c, "password-file"));
    }
    return Optional.of(new TlsSettings(keyStore, trustStore, password, c.getBoolean("hostname-verification")));
  }

  private static Path path(Config c, String key) {
    String text = c.getString(key);
    if (text.isBlank()) {
      throw new IllegalArgumentException("raftkv.tls." + key + " is not set (TLS is on)");
    }
    try {
      return Path.of(text).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("raftkv.tls." + key + ": " + e.getMessage());
    }
  }

  private static String readPassword(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("TLS password file " + file + " does not exist");
    }
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty() || lines.get(0).isEmpty()) {
        throw new IllegalArgumentException("TLS password file " + file + " is empty");
      }
      return lines.get(0);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS password file " + file + ": " + e.getMessage());
    }
  }

  /**
   * Loads both stores and makes the context HTTPS serves with; a store that is missing, not
   * PKCS12, opened with the wrong password, without a key (or a certificate), or whose certificate
   * has expired, is refused here, before anything starts.
   *
   * @throws IllegalArgumentException with a one-line reason
   */
  public SSLContext sslContext() {
    KeyStore keys = load("key store", keyStore);
    KeyStore trusted = load("trust store", trustStore);
    try {
      checkKeyEntry(keys);
      if (Collections.list(trusted.aliases()).stream().noneMatch(a -> isCertificate(trusted, a))) {
        throw new IllegalArgumentException("TLS trust store " + trustStore + " holds no certificate");
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password.toCharArray());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (UnrecoverableKeyException e) {
      throw new IllegalArgumentException("cannot read the key in TLS key store " + keyStore + ": wrong password");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("TLS key store " + keyStore + ": " + e.getMessage());
    }
  }

  /** A server-side engine for the HTTPS port: TLS 1.3, and the client must show a trusted certificate. */
  public static SSLEngine httpsServerEngine(SSLContext context) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    engine.setEnabledCipherSuites(CIPHER_SUITES.toArray(String[]::new));
    return engine;
  }

  private KeyStore load(String what, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("TLS " + what + " " + file + " does not exist");
    }
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
      return store;
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new IllegalArgumentException("cannot open TLS " + what + " " + file + ": wrong password");
      }
      throw new IllegalArgumentException(
          "cannot open TLS " + what + " " + file + " (is it PKCS12?): " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot open TLS " + what + " " + file + ": " + e.getMessage());
    }
  }

  private void checkKeyEntry(KeyStore keys) throws GeneralSecurityException {
    for (String alias : Collections.list(keys.aliases())) {
      if (keys.isKeyEntry(alias) && keys.getCertificate(alias) instanceof X509Certificate cert) {
        try {
          cert.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
          throw new IllegalArgumentException(
              "the certificate in TLS key store " + keyStore + " is not valid now: " + e.getMessage());
        }
        return;
      }
    }
    throw new IllegalArgumentException("TLS key store " + keyStore + " holds no private key");
  }

  private static boolean isCertificate(KeyStore store, String alias) {
    try {
      return store.isCertificateEntry(alias);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The Akka settings that put Artery on TLS with these stores ({@code ConfigSSLEngineProvider}):
   * a layer over the rest of the configuration. Mutual authentication is always on: a node accepts
   * a connection only from a process whose certificate it trusts, and the other way round.
   */
  public Config akkaConfig() {
    String engine = "akka.remote.artery.ssl.config-ssl-engine.";
    return ConfigFactory.parseMap(
        Map.of(
            "akka.remote.artery.transport", "tls-tcp",
            "akka.remote.artery.ssl.ssl-engine-provider", "akka.remote.artery.tcp.ConfigSSLEngineProvider",
            engine + "key-store", keyStore.toString(),
            engine + "key-store-password", password,
            engine + "key-password", password,
            engine + "trust-store", trustStore.toString(),
            engine + "trust-store-password", password,
            engine + "protocol", PROTOCOL,
            engine + "enabled-algorithms", CIPHER_SUITES,
            engine + "require-mutual-authentication", true),
        "raftkv.tls")
        .withFallback(
            ConfigFactory.parseMap(
                Map.of(engine + "hostname-verification", hostnameVerification), "raftkv.tls"));
  }
}
