// The secure test bed's KDC (issue 15): Hadoop's MiniKdc (Apache Kerby SimpleKdcServer) on a fixed
// port, one realm, and one keytab per role. MiniKdc.main exports every principal into one keytab;
// hbr must not hold the servers' keys, hence this wrapper (docs/design/secure-proposal.md §1.1).
//   java -cp <hadoop+secure classpath> SecureKdc WORKDIR PORT
// writes WORKDIR/krb5.conf, WORKDIR/servers.keytab (hdfs/localhost, HTTP/localhost, yarn/localhost)
// and WORKDIR/hbr.keytab (hbr), prints "HBR_KDC_READY" and serves until killed. Kerby keeps its
// principals in memory: a restart makes new keys, so testbed/secure.sh restarts the servers with it.
import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.apache.hadoop.minikdc.MiniKdc;

public class SecureKdc {
  // Kerby's listener binds without SO_REUSEADDR: for up to 60 s after a KDC stopped, its clients'
  // TIME_WAIT connections make the new bind fail "Address already in use" (seen on a quick
  // down/up). Wait, up to 90 s, until a bind without SO_REUSEADDR would work.
  static void waitForPort(int port) throws InterruptedException {
    for (int i = 0; i < 90; i++) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress("localhost", port));
        return;
      } catch (java.io.IOException busy) {
        if (i == 0) System.out.println("KDC port " + port + " busy (" + busy.getMessage() + "); waiting");
        Thread.sleep(1000);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    File dir = new File(args[0]);
    Properties conf = MiniKdc.createConf();
    conf.setProperty(MiniKdc.KDC_PORT, args[1]);
    conf.setProperty(MiniKdc.KDC_BIND_ADDRESS, "localhost");
    conf.setProperty(MiniKdc.INSTANCE, "hbr-testbed");
    waitForPort(Integer.parseInt(args[1]));
    MiniKdc kdc = new MiniKdc(conf, dir);
    kdc.start();
    // Written to fresh names then moved, so a reader never sees a half-written keytab.
    File servers = new File(dir, "servers.keytab.tmp"), hbr = new File(dir, "hbr.keytab.tmp");
    servers.delete();
    hbr.delete();
    kdc.createPrincipal(servers, "hdfs/localhost", "HTTP/localhost", "yarn/localhost");
    kdc.createPrincipal(hbr, "hbr");
    Files.move(servers.toPath(), new File(dir, "servers.keytab").toPath(), StandardCopyOption.REPLACE_EXISTING);
    Files.move(hbr.toPath(), new File(dir, "hbr.keytab").toPath(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(kdc.getKrb5conf().toPath(), new File(dir, "krb5.conf").toPath(), StandardCopyOption.REPLACE_EXISTING);
    System.out.println("HBR_KDC_READY realm=" + kdc.getRealm() + " port=" + kdc.getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(kdc::stop));
    Thread.currentThread().join();
  }
}
