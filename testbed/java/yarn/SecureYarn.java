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
import com.google.inject.servlet.GuiceFilter;
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import org.apache.hadoop.mapred.JobConf;
import org.apache.hadoop.mapreduce.v2.MiniMRYarnCluster;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.webapp.WebApp;

public class SecureYarn {
  // Every YARN web app of this JVM is served by Guice's GuiceFilter, which Hadoop's WebApps adds by
  // class name, so Jetty's instance uses GuiceFilter's static pipeline: the last injector made, the
  // NodeManager's. The RM's port then answered /ws/v1/cluster/apps with the NodeManager's 404
  // "controller for v1 not found" (seen, NMWebAppFilter in the stack). Put the RM's pipeline back:
  // the one its own injector gave the GuiceFilter WebApps stored in the RM's WebApp (hadoop-yarn-common
  // WebApps.java, WebApp.setGuiceFilter; guice-servlet GuiceFilter.setPipeline/injectedPipeline,
  // package-private, hence reflection).
  // The NodeManager's own web app is then served by the RM's pipeline; nothing here needs it.
  static void rmWebAppFirst(MiniMRYarnCluster cluster) throws Exception {
    Method getWebapp = ResourceManager.class.getDeclaredMethod("getWebapp");
    getWebapp.setAccessible(true);
    Object webApp = getWebapp.invoke(cluster.getResourceManager());
    Field gf = WebApp.class.getDeclaredField("guiceFilter");
    gf.setAccessible(true);
    Field injected = GuiceFilter.class.getDeclaredField("injectedPipeline");
    injected.setAccessible(true);
    Object pipeline = injected.get(gf.get(webApp));
    Method set = GuiceFilter.class.getDeclaredMethod("setPipeline", Class.forName("com.google.inject.servlet.FilterPipeline"));
    set.setAccessible(true);
    set.invoke(null, pipeline);
  }

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
    rmWebAppFirst(cluster);
    // start() returns once the NodeManager registered (MiniYARNCluster.waitForNodeManagersToConnect).
    // No shutdown hook: testbed/down ends the JVM like the other test-bed servers.
    Files.writeString(new File(a[2]).toPath(), "rm " + conf.get("yarn.resourcemanager.address") + "\n");
    System.out.println("HBR_SECURE_YARN_READY");
    Thread.currentThread().join();
  }
}
