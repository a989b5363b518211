// Runs a Hadoop tool's main as a principal logged in from a keytab, so the test bed needs no kinit
// and no ticket cache (docs/design/secure-proposal.md §1.3: haadmin has no -keytab option; only
// `hadoop dtutil` logs in by itself).
//   java -cp <conf:classpath> KeytabLogin PRINCIPAL KEYTAB MAIN-CLASS [ARGS...]
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;

public class KeytabLogin {
  public static void main(String[] args) throws Throwable {
    // A plain Configuration (core-site.xml has the auth keys): HdfsConfiguration would register
    // hdfs-rbf-default.xml as a default resource, which the test bed's classpath lacks, and FsShell's
    // non-quiet Configuration then fails with "hdfs-rbf-default.xml not found" (seen, 3.4.3).
    UserGroupInformation.setConfiguration(new Configuration());
    UserGroupInformation.loginUserFromKeytab(args[0], args[1]);
    try {
      Class.forName(args[2]).getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 3, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
