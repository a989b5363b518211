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

# The pinned S3 server (see testbed/README.md for why versitygw).
VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}

HADOOP_CP_FILE=$STATE/hadoop.classpath
ZK_CP_FILE=$STATE/zookeeper.classpath

log() { printf '[testbed %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A pid file names a process of ours only while that pid is alive and its command line still
# carries this state dir: a recycled pid of some other program is never mistaken for ours.
pid_of() {
  local f=$PIDS/$1.pid pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$STATE" || return 1
  echo "$pid"
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
