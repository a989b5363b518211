// hbr's keytab launcher (issue 15; docs/design/secure-proposal.md §7.3): no Hadoop CLI but dtutil
// logs in from a keytab, and hbr needs no kinit and no ticket cache. Run through the operator's own
// `hadoop` launcher, which puts Hadoop's jars and HADOOP_CONF_DIR on the classpath:
//   HADOOP_CLASSPATH=<dist/java> hadoop dev.hbr.KeytabRun run MAIN-CLASS ARGS...   a tool's main, logged in
//   HADOOP_CLASSPATH=<dist/java> hadoop dev.hbr.KeytabRun rest METHOD URL [CA-PEM]  one HTTP call with SPNEGO
// The principal and the keytab's path come from HBR_KRB_PRINCIPAL and HBR_KRB_KEYTAB, krb5.conf
// from HBR_KRB5_CONF when set. `rest` reads the request body (if any) from stdin and prints
// "HBR-HTTP <status>" then the response body on stdout.
// Compiled with `javac --release 8` by `npm run build` and calls Hadoop only by reflection, so hbr
// builds without Hadoop's jars: UserGroupInformation.setConfiguration / loginUserFromKeytabAndReturnUGI
// / doAs (hadoop-common UserGroupInformation.java). Inside doAs the JDK's HttpURLConnection answers the
// server's "WWW-Authenticate: Negotiate" with the Kerberos credentials of the logged-in Subject.
// Never prints the keytab's bytes or a token; only the principal and paths appear in errors.
package dev.hbr;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivilegedExceptionAction;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class KeytabRun {
  private KeytabRun() {}

  private static String env(String name, boolean required) {
    String v = System.getenv(name);
    if (required && (v == null || v.isEmpty())) {
      System.err.println("hbr keytab launcher: " + name + " is not set");
      System.exit(2);
    }
    return v;
  }

  /** Logs in from the keytab and returns the UserGroupInformation (as Object: no compile-time Hadoop). */
  private static Object login() throws Exception {
    String krb5 = env("HBR_KRB5_CONF", false);
    if (krb5 != null && !krb5.isEmpty()) System.setProperty("java.security.krb5.conf", krb5);
    String principal = env("HBR_KRB_PRINCIPAL", true), keytab = env("HBR_KRB_KEYTAB", true);
    // A plain Configuration: HdfsConfiguration would add hdfs-rbf-default.xml as a default resource,
    // which a client classpath may lack (testbed/java/KeytabLogin.java saw FsShell fail on it).
    Class<?> confClass = Class.forName("org.apache.hadoop.conf.Configuration");
    Class<?> ugi = Class.forName("org.apache.hadoop.security.UserGroupInformation");
    ugi.getMethod("setConfiguration", confClass).invoke(null, confClass.getConstructor().newInstance());
    try {
      // Also the JVM's login user, so a tool's UserGroupInformation.getCurrentUser() is this one.
      ugi.getMethod("loginUserFromKeytab", String.class, String.class).invoke(null, principal, keytab);
      return ugi.getMethod("getLoginUser").invoke(null);
    } catch (InvocationTargetException e) {
      throw new Exception("cannot log in as " + principal + " from keytab " + keytab + ": " + e.getCause(), e.getCause());
    }
  }

  private static Object doAs(Object ugi, PrivilegedExceptionAction<Object> action) throws Throwable {
    Method m = ugi.getClass().getMethod("doAs", PrivilegedExceptionAction.class);
    try {
      return m.invoke(ugi, action);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static SSLContext trusting(String caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    try (InputStream in = new FileInputStream(caPem)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static byte[] readAll(InputStream in) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (in == null) return out.toByteArray();
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
    return out.toByteArray();
  }

  private static Object rest(String method, String url, String caPem) throws Exception {
    byte[] body = method.equals("GET") ? new byte[0] : readAll(System.in);
    HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
    if (c instanceof HttpsURLConnection && caPem != null) ((HttpsURLConnection) c).setSSLSocketFactory(trusting(caPem).getSocketFactory());
    c.setRequestMethod(method);
    c.setConnectTimeout(30000);
    c.setReadTimeout(60000);
    c.setRequestProperty("Accept", "application/json");
    if (body.length > 0) {
      // not streaming: the JDK keeps the body to send it again after the 401 Negotiate challenge
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      try (OutputStream o = c.getOutputStream()) {
        o.write(body);
      }
    }
    int status = c.getResponseCode();
    byte[] resp = readAll(status >= 400 ? c.getErrorStream() : c.getInputStream());
    System.out.println("HBR-HTTP " + status);
    System.out.println(new String(resp, StandardCharsets.UTF_8));
    return null;
  }

  public static void main(String[] args) throws Throwable {
    if (args.length >= 2 && args[0].equals("run")) {
      Object ugi = login();
      final Method main = Class.forName(args[1]).getMethod("main", String[].class);
      final String[] rest = Arrays.copyOfRange(args, 2, args.length);
      doAs(ugi, () -> {
        try {
          return main.invoke(null, (Object) rest);
        } catch (InvocationTargetException e) {
          if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
          throw e;
        }
      });
    } else if (args.length >= 3 && args[0].equals("rest")) {
      Object ugi = login();
      final String caPem = args.length > 3 ? args[3] : null;
      doAs(ugi, () -> rest(args[1], args[2], caPem));
    } else {
      System.err.println("usage: dev.hbr.KeytabRun run MAIN-CLASS ARGS... | rest METHOD URL [CA-PEM]");
      System.exit(2);
    }
  }
}
