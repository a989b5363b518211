// The secure test bed's YARN (issue 15): a MiniMRYarnCluster (ResourceManager, one NodeManager,
// JobHistory server) in one JVM, so DistCp runs as a real MapReduce job under Kerberos.
// Inside MiniYARNCluster nobody logs in from a keytab: its ResourceManager (the anonymous subclass
// createResourceManager returns) and CustomNodeManager override doSecureLogin() with an empty body
// (hadoop-yarn-server-tests MiniYARNCluster.java, 3.4.3; docs/design/secure-proposal.md §1.4), so
// this logs the JVM in as yarn/localhost first. The JobHistory server does log in itself
// (JobHistoryServer.doSecureLogin, with mapreduce.jobhistory.principal/keytab), which replaces the
// JVM's login user: testbed/secure-yarn.sh gives it the same principal and keytab.
// Fixed ports, SPNEGO and HTTPS_ONLY come from the yarn-site.xml/mapred-site.xml that
// testbed/secure-yarn.sh writes into the conf dir first on the classpath (yarn.minicluster.fixed.ports
// and mapreduce.jobhistory.minicluster.fixed.ports keep MiniMRYarnCluster from picking :0 ports).
//   java -cp <yarn-conf:classpath> SecureYarn PRINCIPAL KEYTAB READY-FILE
// Run with the working dir where MiniYARNCluster may make target/<name> (its local dirs and logs).
// Prints HBR_SECURE_YARN_READY and writes READY-FILE once the NodeManager has registered.
import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.mapred.JobConf;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

public class SecureYarn {
  public static void main(String[] a) throws Exception {
    // JobConf first: it registers mapred-default/mapred-site.xml as default resources.
    YarnConfiguration conf = new YarnConfiguration(new JobConf());
    UserGroupInformation.setConfiguration(conf);
    UserGroupInformation.loginUserFromKeytab(a[0], a[1]);
    MiniMRYarnCluster cluster = new MiniMRYarnCluster("secure-yarn", 1);
    try {
      cluster.init(conf);
      cluster.start();
    } catch (Throwable t) {
      // A failed service leaves non-daemon threads behind: exit, so testbed/up sees the failure
      // (and tries again after a BindException) instead of waiting on a half-started JVM.
      t.printStackTrace();
      System.exit(1);
    }
    // start() returns once the NodeManager registered (MiniYARNCluster.waitForNodeManagersToConnect).
    // No shutdown hook: testbed/down ends the JVM like the other test-bed servers.
    Files.writeString(new File(a[2]).toPath(), "rm " + conf.get("yarn.resourcemanager.address") + "\n");
    System.out.println("HBR_SECURE_YARN_READY");
    Thread.currentThread().join();
  }
}
