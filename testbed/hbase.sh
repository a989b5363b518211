# testbed/up --hbase NAME [ZK-PORT MASTER-PORT RS-PORT REST-PORT]: one standalone HBase 2.6.1 with
# its backup module, on the primary HDFS, and its REST gateway. Sourced by testbed/up (which has
# defined log, die, start, wait_for, resolve_classpath); opt-in like --extra-hdfs, started only by
# the suites that need it (test/helpers/hbase.ts). The facts behind every setting are in
# docs/design/hbase-notes.md (measured on this machine) and issue 13.
#
#   NAME starts with hbase-; its files are in .state/NAME (conf, logs, ZooKeeper data, endpoints.json),
#   its hbase.rootdir is /testbed-hbase/NAME on the primary HDFS. Ports not given are picked free.
#   Two servers: NAME (HMaster start: master, regionserver and ZooKeeper in one JVM) and NAME.rest
#   (RESTServer). `testbed/down NAME` stops both; `--purge NAME` also deletes the data and rootdir.

# (write, not console.log: under FORCE_COLOR console.log paints numbers with escape codes)
hbase_free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(s.address().port+"\n");s.close()})'; }

hbase_rest_ready() { # rest-port : the master is initialized (namespaces answer) and a regionserver is live
  curl -fsS -m 5 -H 'Accept: application/json' "http://127.0.0.1:$1/namespaces" | grep -q '"default"' || return 1
  curl -fsS -m 5 -H 'Accept: application/json' "http://127.0.0.1:$1/status/cluster" | grep -q '"LiveNodes":\[{'
}

hbase_site() { # name zk master rs rest rootdir dir
  local name=$1 zk=$2 master=$3 rs=$4 rest=$5 rootdir=$6 dir=$7
  p() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
  {
    echo '<?xml version="1.0"?>'
    echo "<!-- Written by testbed/up (hbase $name). -->"
    echo '<configuration>'
    p hbase.cluster.distributed false
    p hbase.rootdir "$rootdir"
    p hbase.tmp.dir "$dir/tmp"
    p hadoop.tmp.dir "$dir/tmp/hadoop"
    p hbase.zookeeper.quorum 127.0.0.1
    p hbase.zookeeper.property.clientPort "$zk"
    p hbase.zookeeper.property.clientPortAddress 127.0.0.1
    p hbase.zookeeper.property.dataDir "$dir/zookeeper"
    p hbase.master.port "$master"
    p hbase.master.ipc.address 127.0.0.1
    p hbase.regionserver.port "$rs"
    p hbase.regionserver.ipc.address 127.0.0.1
    p hbase.master.info.port -1
    p hbase.regionserver.info.port -1
    p hbase.rest.port "$rest"
    p hbase.rest.host 127.0.0.1
    p hbase.rest.info.port -1
    # Backup and restore jobs run in the client JVM (MapReduce local runner; no YARN).
    p mapreduce.framework.name local
    # The backup module (hbase-backup's BackupManager.decorateMasterConfiguration and
    # decorateRegionServerConfiguration name these classes; issue 13, the notes).
    p hbase.backup.enable true
    p hbase.master.logcleaner.plugins "org.apache.hadoop.hbase.master.cleaner.TimeToLiveLogCleaner,org.apache.hadoop.hbase.master.cleaner.TimeToLiveProcedureWALCleaner,org.apache.hadoop.hbase.master.cleaner.TimeToLiveMasterLocalStoreWALCleaner,org.apache.hadoop.hbase.backup.master.BackupLogCleaner"
    p hbase.master.hfilecleaner.plugins "org.apache.hadoop.hbase.master.cleaner.TimeToLiveHFileCleaner,org.apache.hadoop.hbase.master.cleaner.TimeToLiveMasterLocalStoreHFileCleaner,org.apache.hadoop.hbase.backup.BackupHFileCleaner"
    p hbase.procedure.master.classes org.apache.hadoop.hbase.backup.master.LogRollMasterProcedureManager
    p hbase.procedure.regionserver.classes org.apache.hadoop.hbase.backup.regionserver.LogRollRegionServerProcedureManager
    p hbase.coprocessor.region.classes org.apache.hadoop.hbase.backup.BackupObserver
    # On a loaded 2-core machine the standalone default (10 s) expired and aborted the master.
    p zookeeper.session.timeout.localHBaseCluster 120000
    p zookeeper.session.timeout 120000
    p hbase.zookeeper.property.tickTime 6000
    p hbase.zookeeper.property.maxSessionTimeout 120000
    p dfs.replication 1
    echo '</configuration>'
  } > "$dir/conf/hbase-site.xml"
  # log4j2 (HBase 2.6 logs through log4j2; reload4j is excluded from the classpath). Servers at INFO
  # into their log file, the CLIs (testbed/bin/hbase) at WARN on stderr.
  cat > "$dir/conf/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %-5p [%t] %c{2}: %m%n
rootLogger = ${sys:hbr.log.level:-WARN},console
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = ${sys:hbr.log.level:-WARN}
logger.zk.name = org.apache.zookeeper
logger.zk.level = WARN
EOF
}

start_hbase() { # name [zk master rs rest]
  local name=$1 dir=$STATE/$1 zk master rs rest rootdir t0=$SECONDS
  case "$name" in hbase-[a-z0-9-]*) ;; *) die "an HBase's name starts with hbase- and has only a-z 0-9 - (got $name)" ;; esac
  case "$name" in *[!a-z0-9-]*) die "an HBase's name has only a-z 0-9 - (got $name)" ;; esac
  hdfs_ready "$HBR_TB_PRIMARY_HTTP_PORT" || die "HBase needs the primary HDFS: run testbed/up first"
  if pid_of "$name" >/dev/null && pid_of "$name.rest" >/dev/null; then log "$name already running"; return 0; fi
  resolve_classpath hbase "$HBASE_CP_FILE"
  mkdir -p "$dir/conf" "$dir/tmp" "$dir/zookeeper"
  if [ $# -ge 5 ]; then zk=$2 master=$3 rs=$4 rest=$5
  elif [ -s "$dir/ports" ]; then read -r zk master rs rest < "$dir/ports"  # a restart keeps its ports
  else zk=$(hbase_free_port) master=$(hbase_free_port) rs=$(hbase_free_port) rest=$(hbase_free_port)
  fi
  echo "$zk $master $rs $rest" > "$dir/ports"
  rootdir="hdfs://127.0.0.1:$HBR_TB_PRIMARY_NN_PORT/testbed-hbase/$name"
  hbase_site "$name" "$zk" "$master" "$rs" "$rest" "$rootdir" "$dir"
  local cp="$dir/conf:$(cat "$HBASE_CP_FILE")"
  if ! pid_of "$name" >/dev/null; then
    start "$name" java -Xmx640m -XX:+UseSerialGC "${HBASE_JAVA_OPENS[@]}" "-Dhbr.server=hbase-master:$dir" \
      -Dhbr.log.level=INFO -Dlog4j2.configurationFile="file:$dir/conf/log4j2.properties" \
      -Dhbase.log.dir="$dir/tmp" -cp "$cp" org.apache.hadoop.hbase.master.HMaster start
  fi
  if ! pid_of "$name.rest" >/dev/null; then
    start "$name.rest" java -Xmx256m -XX:+UseSerialGC "${HBASE_JAVA_OPENS[@]}" "-Dhbr.server=hbase-rest:$dir" \
      -Dhbr.log.level=INFO -Dlog4j2.configurationFile="file:$dir/conf/log4j2.properties" \
      -cp "$cp" org.apache.hadoop.hbase.rest.RESTServer start
  fi
  # The gateway answers before the master is initialized; ready = namespaces and a live regionserver.
  wait_for "$name" 240 hbase_rest_ready "$rest"
  pid_of "$name.rest" >/dev/null || die "$name.rest exited (log: $LOGS/$name.rest.log)"
  cat > "$dir/endpoints.json" <<EOF
{
  "name": "$name",
  "rest": "http://127.0.0.1:$rest",
  "zookeeper": "127.0.0.1:$zk",
  "rootdir": "$rootdir",
  "conf": "$dir/conf",
  "masterPort": $master,
  "regionserverPort": $rs
}
EOF
  log "$name up in $((SECONDS - t0))s: REST http://127.0.0.1:$rest, ZooKeeper 127.0.0.1:$zk, rootdir $rootdir"
}
