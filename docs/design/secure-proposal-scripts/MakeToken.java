import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.hdfs.security.token.delegation.DelegationTokenIdentifier;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.token.Token;
public class MakeToken {
  public static void main(String[] a) throws Exception {
    DelegationTokenIdentifier id = new DelegationTokenIdentifier(new Text("hbr"), new Text("hbr"), new Text(""));
    id.setIssueDate(1796169600000L); id.setMaxDate(1796169600000L + 604800000L); id.setSequenceNumber(7); id.setMasterKeyId(3);
    byte[] pw = new byte[20]; for (int i = 0; i < pw.length; i++) pw[i] = (byte) (i * 13 + 200);
    Token<DelegationTokenIdentifier> t = new Token<>(id.getBytes(), pw, DelegationTokenIdentifier.HDFS_DELEGATION_KIND, new Text("ha-hdfs:hbrns"));
    Credentials c = new Credentials(); c.addToken(t.getService(), t);
    c.writeTokenStorageFile(new Path("file://" + a[0] + "/java.token"), new Configuration(), Credentials.SerializedFormat.WRITABLE);
    c.writeTokenStorageFile(new Path("file://" + a[0] + "/proto.token"), new Configuration(), Credentials.SerializedFormat.PROTOBUF);
    System.out.println(t.encodeToUrlString());
  }
}
