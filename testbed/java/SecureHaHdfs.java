// The secure test bed's HA primary (issue 15): one nameservice with two NameNodes (nn1, nn2) over a
// shared edits dir and one DataNode, in one JVM. MiniDFSClusterManager has no topology option, so
// this does what Hadoop's HA tests do (MiniDFSNNTopology + MiniDFSCluster.Builder, hadoop-hdfs
// tests; docs/design/secure-proposal.md §1.3). Kerberos, SPNEGO, HTTPS_ONLY, SASL data transfer and
// the HTTPS addresses come from the core-site.xml/hdfs-site.xml that testbed/secure.sh writes into
// the conf dir first on the classpath; the NameNodes and the DataNode log in from their keytab.
//   java -cp <secure conf:hadoop classpath> SecureHaHdfs BASEDIR NS NN1-RPC NN1-HTTP NN2-RPC NN2-HTTP FORMAT(true|false) READY-FILE
// Prints HBR_SECURE_HDFS_READY and writes READY-FILE once nn1 is active and the DataNode is live.
import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.MiniDFSNNTopology;

public class SecureHaHdfs {
  public static void main(String[] a) throws Exception {
    HdfsConfiguration conf = new HdfsConfiguration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, a[0]);
    MiniDFSNNTopology topo = new MiniDFSNNTopology().addNameservice(new MiniDFSNNTopology.NSConf(a[1])
        .addNN(new MiniDFSNNTopology.NNConf("nn1").setIpcPort(Integer.parseInt(a[2])).setHttpPort(Integer.parseInt(a[3])))
        .addNN(new MiniDFSNNTopology.NNConf("nn2").setIpcPort(Integer.parseInt(a[4])).setHttpPort(Integer.parseInt(a[5]))));
    boolean format = Boolean.parseBoolean(a[6]);
    // The shared edits dir is ours: with manageNameDfsSharedDirs (the default) MiniDFSCluster's
    // configureNameService fullyDeletes shared-edits-0-through-1 on every start, format or not
    // (3.4.3 bytecode), so a restart lost every edit and failed "storage directory does not exist".
    conf.set("dfs.namenode.shared.edits.dir", new File(a[0], "shared-edits").toURI().toString());
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).nnTopology(topo).numDataNodes(1)
        .format(format).manageNameDfsDirs(true).manageNameDfsSharedDirs(false)
        // keep the DataNode's fixed addresses from hdfs-site.xml (else MiniDFSCluster picks 127.0.0.1:0)
        .checkDataNodeAddrConfig(true).build();
    // No shutdown hook calling cluster.shutdown(): MiniDFSCluster.shutdown(false) still calls
    // FileUtil.fullyDeleteOnExit(base_dir) (3.4.3 bytecode), so a TERM would delete the cluster's
    // data and the next start fail on the missing shared-edits dir (seen). testbed/down kills the
    // JVM like MiniDFSClusterManager's; edits are synced before each call returns.
    cluster.waitActive();
    // Both NameNodes start standby (no ZKFC here: manual HA, dfs.ha.automatic-failover.enabled=false).
    cluster.transitionToActive(0);
    cluster.waitActive();
    Files.writeString(new File(a[7]).toPath(), "nn1 active\n");
    System.out.println("HBR_SECURE_HDFS_READY");
    Thread.currentThread().join();
  }
}
