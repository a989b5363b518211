// The secure test bed's HDFS clusters (issue 15): the HA primary, one nameservice with two
// NameNodes (nn1, nn2) over a shared edits dir, or the single-NameNode DR; one DataNode each, in one
// JVM. MiniDFSClusterManager has no topology option and picks the DataNode's ports itself, so this
// does what Hadoop's HA tests do (MiniDFSNNTopology + MiniDFSCluster.Builder, hadoop-hdfs tests;
// docs/design/secure-proposal.md §1.3). Kerberos, SPNEGO, HTTPS_ONLY, SASL data transfer and the
// fixed addresses come from the core-site.xml/hdfs-site.xml that testbed/secure.sh writes into the
// conf dir first on the classpath; the NameNodes and the DataNode log in from their keytab.
//   java -cp <conf:classpath> SecureHdfs BASEDIR FORMAT(true|false) READY-FILE ha NS NN1-RPC NN1-HTTP NN2-RPC NN2-HTTP
//   java -cp <conf:classpath> SecureHdfs BASEDIR FORMAT(true|false) READY-FILE single NN-RPC NN-HTTP
// Prints HBR_SECURE_HDFS_READY and writes READY-FILE once a NameNode is active and the DataNode live.
import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.MiniDFSNNTopology;

public class SecureHdfs {
  public static void main(String[] a) throws Exception {
    HdfsConfiguration conf = new HdfsConfiguration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, a[0]);
    boolean format = Boolean.parseBoolean(a[1]);
    boolean ha = a[3].equals("ha");
    MiniDFSNNTopology topo;
    if (ha) {
      topo = new MiniDFSNNTopology().addNameservice(new MiniDFSNNTopology.NSConf(a[4])
          .addNN(new MiniDFSNNTopology.NNConf("nn1").setIpcPort(Integer.parseInt(a[5])).setHttpPort(Integer.parseInt(a[6])))
          .addNN(new MiniDFSNNTopology.NNConf("nn2").setIpcPort(Integer.parseInt(a[7])).setHttpPort(Integer.parseInt(a[8]))));
      // The shared edits dir is ours: with manageNameDfsSharedDirs (the default) MiniDFSCluster's
      // configureNameService fullyDeletes shared-edits-0-through-1 on every start, format or not
      // (3.4.3 bytecode), so a restart lost every edit and failed "storage directory does not exist".
      conf.set("dfs.namenode.shared.edits.dir", new File(a[0], "shared-edits").toURI().toString());
    } else {
      topo = MiniDFSNNTopology.simpleSingleNN(Integer.parseInt(a[4]), Integer.parseInt(a[5]));
    }
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).nnTopology(topo).numDataNodes(1)
        .format(format).manageNameDfsDirs(true).manageNameDfsSharedDirs(false)
        // keep the DataNode's fixed addresses from hdfs-site.xml (else MiniDFSCluster picks 127.0.0.1:0)
        .checkDataNodeAddrConfig(true).build();
    // No shutdown hook calling cluster.shutdown(): MiniDFSCluster.shutdown(false) still calls
    // FileUtil.fullyDeleteOnExit(base_dir) (3.4.3 bytecode), so a TERM would delete the cluster's
    // data and the next start fail on the missing shared-edits dir (seen). testbed/down kills the
    // JVM like MiniDFSClusterManager's; edits are synced before each call returns.
    cluster.waitActive();
    if (ha) {
      // Both NameNodes start standby (no ZKFC here: manual HA, dfs.ha.automatic-failover.enabled=false).
      cluster.transitionToActive(0);
      cluster.waitActive();
    }
    Files.writeString(new File(a[2]).toPath(), ha ? "nn1 active\n" : "active\n");
    System.out.println("HBR_SECURE_HDFS_READY");
    Thread.currentThread().join();
  }
}
