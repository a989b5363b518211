# Shared settings for testbed/up, testbed/down and the wrappers in testbed/bin.
# Sourced, never run. Every port can be overridden from the environment.

TB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${HBR_TB_STATE:-$TB/.state}
TOOLS=${HBR_TB_TOOLS:-$TB/.tools}
LOGS=$STATE/logs
PIDS=$STATE/pids

HBR_TB_PRIMARY_NN_PORT=${HBR_TB_PRIMARY_NN_PORT:-18020}
HBR_TB_PRIMARY_HTTP_PORT=${HBR_TB_PRIMARY_HTTP_PORT:-19870}
HBR_TB_DR_NN_PORT=${HBR_TB_DR_NN_PORT:-28020}
HBR_TB_DR_HTTP_PORT=${HBR_TB_DR_HTTP_PORT:-29870}
HBR_TB_ZK_PORT=${HBR_TB_ZK_PORT:-12181}
HBR_TB_ZK_ADMIN_PORT=${HBR_TB_ZK_ADMIN_PORT:-18080}
HBR_TB_S3_PORT=${HBR_TB_S3_PORT:-17070}
# The secure test bed (testbed/up --secure, testbed/secure.sh): 41xxx, away from the others' ranges.
HBR_TB_SECURE_KDC_PORT=${HBR_TB_SECURE_KDC_PORT:-41088}
HBR_TB_SECURE_NN1_RPC=${HBR_TB_SECURE_NN1_RPC:-41020}
HBR_TB_SECURE_NN2_RPC=${HBR_TB_SECURE_NN2_RPC:-41021}
HBR_TB_SECURE_NN1_HTTP=${HBR_TB_SECURE_NN1_HTTP:-41870}
HBR_TB_SECURE_NN2_HTTP=${HBR_TB_SECURE_NN2_HTTP:-41871}
HBR_TB_SECURE_NN1_HTTPS=${HBR_TB_SECURE_NN1_HTTPS:-41470}
HBR_TB_SECURE_NN2_HTTPS=${HBR_TB_SECURE_NN2_HTTPS:-41471}
HBR_TB_SECURE_DN_PORT=${HBR_TB_SECURE_DN_PORT:-41010}
HBR_TB_SECURE_DN_IPC=${HBR_TB_SECURE_DN_IPC:-41011}
HBR_TB_SECURE_DN_HTTP=${HBR_TB_SECURE_DN_HTTP:-41075}
HBR_TB_SECURE_DN_HTTPS=${HBR_TB_SECURE_DN_HTTPS:-41475}
HBR_TB_SECURE_DR_RPC=${HBR_TB_SECURE_DR_RPC:-41120}
HBR_TB_SECURE_DR_HTTP=${HBR_TB_SECURE_DR_HTTP:-41170}
HBR_TB_SECURE_DR_HTTPS=${HBR_TB_SECURE_DR_HTTPS:-41570}
HBR_TB_SECURE_DR_DN_PORT=${HBR_TB_SECURE_DR_DN_PORT:-41110}
HBR_TB_SECURE_DR_DN_IPC=${HBR_TB_SECURE_DR_DN_IPC:-41111}
HBR_TB_SECURE_DR_DN_HTTP=${HBR_TB_SECURE_DR_DN_HTTP:-41175}
HBR_TB_SECURE_DR_DN_HTTPS=${HBR_TB_SECURE_DR_DN_HTTPS:-41575}
# The secure YARN (testbed/up --secure --yarn: ResourceManager, one NodeManager, JobHistory server).
HBR_TB_SECURE_RM_SCHED=${HBR_TB_SECURE_RM_SCHED:-41030}
HBR_TB_SECURE_RM_TRACKER=${HBR_TB_SECURE_RM_TRACKER:-41031}
HBR_TB_SECURE_RM_RPC=${HBR_TB_SECURE_RM_RPC:-41032}
HBR_TB_SECURE_RM_ADMIN=${HBR_TB_SECURE_RM_ADMIN:-41033}
HBR_TB_SECURE_RM_HTTP=${HBR_TB_SECURE_RM_HTTP:-41288}
HBR_TB_SECURE_RM_HTTPS=${HBR_TB_SECURE_RM_HTTPS:-41290}
HBR_TB_SECURE_NM_RPC=${HBR_TB_SECURE_NM_RPC:-41040}
HBR_TB_SECURE_NM_LOCALIZER=${HBR_TB_SECURE_NM_LOCALIZER:-41041}
HBR_TB_SECURE_NM_HTTP=${HBR_TB_SECURE_NM_HTTP:-41042}
HBR_TB_SECURE_SHUFFLE=${HBR_TB_SECURE_SHUFFLE:-41043}
HBR_TB_SECURE_NM_HTTPS=${HBR_TB_SECURE_NM_HTTPS:-41044}
HBR_TB_SECURE_JHS_RPC=${HBR_TB_SECURE_JHS_RPC:-41050}
HBR_TB_SECURE_JHS_HTTP=${HBR_TB_SECURE_JHS_HTTP:-41051}
HBR_TB_SECURE_JHS_HTTPS=${HBR_TB_SECURE_JHS_HTTPS:-41052}
HBR_TB_SECURE_JHS_ADMIN=${HBR_TB_SECURE_JHS_ADMIN:-41053}

# The pinned S3 server (see testbed/README.md for why versitygw).
VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}
# promtool (Prometheus's rule checker, for test/integration/deploy.test.ts), built from the
# prometheus module: its tag v0.3XX.Y is Prometheus v3.XX.Y. v0.316.0 needs Go >= 1.26.7.
PROMTOOL_MODULE=github.com/prometheus/prometheus/cmd/promtool
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}

HADOOP_CP_FILE=$STATE/hadoop.classpath
ZK_CP_FILE=$STATE/zookeeper.classpath
# Resolved only by `testbed/up --hbase NAME` (testbed/hbase.sh), never by `up --install`.
HBASE_CP_FILE=$STATE/hbase.classpath
# Resolved only by `testbed/up --secure` (testbed/secure.sh): MiniKdc and Kerby.
SECURE_CP_FILE=$STATE/secure.classpath
# Resolved only by `testbed/up --secure --yarn`: MiniMRYarnCluster and the YARN/MR servers.
YARN_CP_FILE=$STATE/yarn.classpath

log() { printf '[testbed %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A string only our server NAME has on its command line (the state dir makes it ours).
marker_of() {
  case "$1" in
    primary|dr|extra-*) echo "hdfs.minidfs.basedir=$STATE/$1 " ;;
    zookeeper) echo "$STATE/zookeeper/zoo.cfg" ;;
    s3) echo "$STATE/s3/data" ;;
    oz-*-scm|oz-*-om|oz-*-dn|oz-*-httpfs) echo "-Dhbr.oz=$STATE/${1%-*}/${1##*-} " ;;  # testbed/ozone.sh
    hbase-*.rest) echo "-Dhbr.server=hbase-rest:$STATE/${1%.rest} " ;;
    hbase-*) echo "-Dhbr.server=hbase-master:$STATE/$1 " ;;
    secure-kdc|secure-primary|secure-dr|secure-yarn) echo "-Dhbr.secure=$STATE/$1 " ;;  # testbed/secure.sh
    *) return 1 ;;
  esac
}

# The pid of our server NAME, or failure. A pid file counts only while that pid is alive and its
# command line still carries the server's marker, so a recycled pid is never mistaken for ours.
# If the pid file is stale or missing but a process with the marker runs (an up that was killed
# before writing the file), that process is ours: adopt it.
pid_of() {
  local name=$1 f=$PIDS/$1.pid pid m p
  m=$(marker_of "$name") || return 1
  if [ -s "$f" ]; then
    pid=$(cat "$f")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$m"; then echo "$pid"; return 0; fi
  fi
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = "$$" ] && continue
    tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF -- "$m" || continue
    mkdir -p "$PIDS" && echo "$pid" > "$f"
    echo "$pid"
    return 0
  done
  return 1
}

# up and down never run at once on one state dir (two racing ups would start a server twice).
# A down that an up runs itself (the secure bed restarting its servers after a new KDC) already
# holds the lock through its parent: it must not wait for it (it did, for ever).
serialize() {
  [ "${HBR_TB_LOCK_HELD:-}" = "$STATE" ] && return 0
  mkdir -p "$STATE"
  exec 9>"$STATE/.testbed.lock"
  flock 9
  export HBR_TB_LOCK_HELD=$STATE
}

# Hadoop 3.4 on Java 17 needs the module opens its own launcher scripts add (without them WebHDFS
# answers 500 from JAXB and DistCp's job setup fails on reflection).
HADOOP_JAVA_OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.zip=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.net.util=ALL-UNNAMED
)

# HBase on JDK 17: the Hadoop list plus what HBase's own bin/hbase adds for JDK 17 (without
# java.lang the regionserver fails in HFileSystem.addLocationsOrderInterceptor; see
# docs/design/hbase-notes.md). Used by the HMaster, the REST gateway and testbed/bin/hbase.
HBASE_JAVA_OPENS=(
  "${HADOOP_JAVA_OPENS[@]}"
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
)
