import javax.ws.rs.core.Response;
import org.apache.hadoop.hdfs.web.resources.ExceptionHandler;
import org.apache.hadoop.ipc.StandbyException;
import org.apache.hadoop.security.token.SecretManager.InvalidToken;
public class ExcJson {
  static void show(Exception e) {
    ExceptionHandler h = new ExceptionHandler();
    h.initResponse((javax.servlet.http.HttpServletResponse) java.lang.reflect.Proxy.newProxyInstance(
        ExcJson.class.getClassLoader(), new Class<?>[]{javax.servlet.http.HttpServletResponse.class}, (px, m, args) -> null));
    Response r = h.toResponse(e);
    System.out.println(r.getStatus() + " " + r.getEntity());
  }
  public static void main(String[] a) {
    InvalidToken sb = new InvalidToken("StandbyException");
    sb.initCause(new StandbyException("Operation category READ is not supported in state standby. Visit https://s.apache.org/sbnn-error"));
    show(new SecurityException("Failed to obtain user group information: " + sb, sb));
    InvalidToken exp = new InvalidToken("Token  has expired, current time: 2026-12-02 09:00:00,000+0000 expected renewal time: 2026-12-02 08:59:00,000+0000");
    show(new SecurityException("Failed to obtain user group information: " + exp, exp));
    show(new StandbyException("Operation category READ is not supported in state standby. Visit https://s.apache.org/sbnn-error"));
  }
}
