package raftkv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import raftkv.common.Endpoint;

/**
 * Why a node did not answer, when the reason is TLS: asked only after a request got no answer, so
 * a client whose certificate the cluster refuses (or that speaks plain TCP to a TLS cluster, or TLS
 * to a plain one) says so in one line instead of timing out silently. Artery reports a failed
 * handshake only in its log, and a message never leaves before the handshake succeeds: a node that
 * refuses the handshake has received nothing from us.
 */
final class TlsProbe {
  private TlsProbe() {}

  /** What a probe found: {@code refusal} is empty when the handshake succeeded or nothing answered. */
  record Probe(boolean reached, Optional<String> refusal) {
    static final Probe UNREACHABLE = new Probe(false, Optional.empty());
    static final Probe ACCEPTED = new Probe(true, Optional.empty());

    static Probe refused(String why) {
      return new Probe(true, Optional.of(why));
    }
  }

  /**
   * With TLS on ({@code context}): whether {@code node} refuses this client's certificate, or ours
   * refuses the node's, and why.
   */
  static Probe probe(SSLContext context, Endpoint node, Duration timeout) {
    try (Socket plain = connect(node, timeout)) {
      SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, node.host(), node.port(), true);
      tls.setSoTimeout((int) timeout.toMillis());
      try {
        tls.startHandshake();
      } catch (SSLException e) {
        if (causedBy(e, CertificateException.class)) {
          return Probe.refused("this client does not trust the certificate of " + node
              + " (not signed by the CA in its trust store)");
        }
        return Probe.refused("the TLS handshake with " + node + " failed: " + e.getMessage());
      }
      // TLS 1.3: the server checks our certificate after our side of the handshake is done, and
      // an alert is what the first read then gets. An accepted connection just waits for Artery.
      InputStream in = tls.getInputStream();
      try {
        in.read();
      } catch (SocketTimeoutException accepted) {
        return Probe.ACCEPTED;
      } catch (SSLException e) {
        return Probe.refused(node + " refused this client's certificate (" + e.getMessage()
            + "): is it signed by the cluster's CA?");
      }
      return Probe.ACCEPTED;
    } catch (IOException unreachable) {
      return Probe.UNREACHABLE;
    }
  }

  /**
   * With TLS off: true if {@code node} answers a TLS client hello with a certificate, that is, the
   * cluster runs with TLS and this client does not.
   */
  static boolean speaksTls(Endpoint node, Duration timeout) {
    SSLContext context;
    try {
      context = SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      return false;
    }
    try (Socket plain = connect(node, timeout)) {
      SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, node.host(), node.port(), true);
      tls.setSoTimeout((int) timeout.toMillis());
      tls.startHandshake();
      return true; // a certificate the JDK's default CAs trust: TLS all the same
    } catch (SSLException e) {
      return causedBy(e, CertificateException.class); // it sent a certificate: it speaks TLS
    } catch (IOException e) {
      return false;
    }
  }

  private static Socket connect(Endpoint node, Duration timeout) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(node.host(), node.port()), (int) timeout.toMillis());
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
