# One single-node Apache Ozone 2.2.0 cluster of real daemons, started on request only:
#   testbed/up --ozone NAME BASE-PORT     (NAME starts with oz-; ports BASE .. BASE+OZ_PORTS-1)
#   testbed/down --purge NAME             (stop its daemons, delete its data)
# Sourced by testbed/up (after its helpers start, wait_for, resolve_classpath); testbed/down and
# testbed/lib.sh (marker_of) know its daemons by their names NAME-{scm,om,dn,httpfs}.
# Facts behind the settings: docs/design/ozone-notes.md and testbed/README.md ("Ozone"); key
# names checked against apache/ozone at tag ozone-2.2.0 (hadoop-hdds/common/src/main/resources/
# ozone-default.xml, ScmConfigKeys.java, OMConfigKeys.java).

OZONE_VERSION=2.2.0
OZ_PORTS=32
OZONE_CP_FILE=$STATE/ozone.classpath
OZONE_FS_CP_FILE=$STATE/ozone-fs.classpath

# Maven Central serves every Ozone 2.2.0 artifact but one parent POM,
# org.apache.ozone:hdds-hadoop-dependency-client:2.2.0 (2.2.1's top parent is missing too). Its
# 2.1.0 content (fetched from Central) with the version set to 2.2.0 is put in the local repository,
# once; it only manages Hadoop dependency versions (exclusions), which 2.2.0's children then inherit.
ozone_parent_pom() { # run only when the classpath is resolved (ozone_install): ~7 s, once
  local a=hdds-hadoop-dependency-client tmp
  log "supplying the parent POM $a:$OZONE_VERSION that Maven Central lacks (from its 2.1.0)"
  tmp=$(mktemp -d)
  mvn -q -B dependency:copy -Dartifact="org.apache.ozone:$a:2.1.0:pom" -DoutputDirectory="$tmp" >"$LOGS/mvn-ozone-parent.log" 2>&1 \
    || { tail -n 20 "$LOGS/mvn-ozone-parent.log" >&2; die "could not fetch $a:2.1.0:pom"; }
  # The POM names 2.1.0 twice: its parent (hdds) and itself.
  sed 's#<version>2\.1\.0</version>#<version>'"$OZONE_VERSION"'</version>#' "$tmp/$a-2.1.0.pom" > "$tmp/$a.pom"
  # Into the local repository Maven uses (MAVEN_OPTS=-Dmaven.repo.local=... is honoured).
  mvn -q -B install:install-file -Dfile="$tmp/$a.pom" -DpomFile="$tmp/$a.pom" -Dpackaging=pom \
    -DgroupId=org.apache.ozone -DartifactId="$a" -Dversion="$OZONE_VERSION" >>"$LOGS/mvn-ozone-parent.log" 2>&1 \
    || { tail -n 20 "$LOGS/mvn-ozone-parent.log" >&2; die "could not install $a:$OZONE_VERSION"; }
  rm -rf "$tmp"
}

ozone_install() { # lazily: the first Ozone cluster pays ~276 MB of jars, nobody else does
  [ -s "$OZONE_CP_FILE" ] && [ -s "$OZONE_FS_CP_FILE" ] && [ "$OZONE_CP_FILE" -nt "$TB/pom.xml" ] && return 0
  ozone_parent_pom
  resolve_classpath ozone "$OZONE_CP_FILE"
  # Only the shaded jar itself (it carries its dependencies); its slf4j 2 must not join Hadoop's.
  resolve_classpath ozone-fs "$OZONE_FS_CP_FILE" -DexcludeTransitive=true
}

oz_port() { # base role-offset
  echo $(($1 + $2))
}

ozone_conf() { # name base
  local name=$1 b=$2 dir=$STATE/$1 user
  user=$(id -un)
  # data/tmp: where RocksDB's JNI libraries are unpacked (native.lib.tmp.dir, else the cwd:
  # NativeLibraryLoader.java in hadoop-hdds/rocks-native)
  mkdir -p "$dir/conf" "$dir/data/tmp" "$dir/logs" "$dir/httpfs-temp"
  prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    # every port explicit (offsets from BASE), all on loopback
    prop ozone.om.address "127.0.0.1:$(oz_port "$b" 0)"
    prop ozone.om.http-address "127.0.0.1:$(oz_port "$b" 1)"
    prop ozone.om.https-address "127.0.0.1:$(oz_port "$b" 2)"
    prop ozone.om.ratis.port "$(oz_port "$b" 3)"
    prop ozone.om.grpc.port "$(oz_port "$b" 4)"
    prop ozone.scm.names 127.0.0.1
    prop ozone.scm.client.address "127.0.0.1:$(oz_port "$b" 5)"
    prop ozone.scm.client.port "$(oz_port "$b" 5)"
    prop ozone.scm.block.client.address "127.0.0.1:$(oz_port "$b" 6)"
    prop ozone.scm.block.client.port "$(oz_port "$b" 6)"
    prop ozone.scm.datanode.address "127.0.0.1:$(oz_port "$b" 7)"
    prop ozone.scm.datanode.port "$(oz_port "$b" 7)"
    prop ozone.scm.security.service.address "127.0.0.1:$(oz_port "$b" 8)"
    prop ozone.scm.security.service.port "$(oz_port "$b" 8)"
    prop ozone.scm.http-address "127.0.0.1:$(oz_port "$b" 9)"
    prop ozone.scm.https-address "127.0.0.1:$(oz_port "$b" 10)"
    prop ozone.scm.ratis.port "$(oz_port "$b" 11)"
    prop ozone.scm.grpc.port "$(oz_port "$b" 12)"
    prop hdds.container.ipc.port "$(oz_port "$b" 13)"
    prop hdds.container.ratis.ipc.port "$(oz_port "$b" 14)"
    prop hdds.container.ratis.admin.port "$(oz_port "$b" 15)"
    prop hdds.container.ratis.server.port "$(oz_port "$b" 16)"
    prop hdds.container.ratis.datastream.port "$(oz_port "$b" 17)"
    prop hdds.datanode.http-address "127.0.0.1:$(oz_port "$b" 18)"
    prop hdds.datanode.https-address "127.0.0.1:$(oz_port "$b" 19)"
    prop hdds.datanode.client.address 127.0.0.1
    prop hdds.datanode.client.port "$(oz_port "$b" 20)"
    prop hdds.datanode.replication.port "$(oz_port "$b" 21)"
    # 22: the HttpFS gateway (httpfs-site.xml below)
    prop ozone.s3g.http-address "127.0.0.1:$(oz_port "$b" 23)"
    prop ozone.s3g.https-address "127.0.0.1:$(oz_port "$b" 24)"
    prop ozone.s3g.webadmin.http-address "127.0.0.1:$(oz_port "$b" 25)"
    prop ozone.s3g.webadmin.https-address "127.0.0.1:$(oz_port "$b" 26)"
    prop ozone.recon.http-address "127.0.0.1:$(oz_port "$b" 27)"
    prop ozone.recon.https-address "127.0.0.1:$(oz_port "$b" 28)"
    prop ozone.freon.http-address "127.0.0.1:$(oz_port "$b" 29)"
    prop ozone.freon.https-address "127.0.0.1:$(oz_port "$b" 30)"
    # ozone.recon.address stays unset: no Recon runs, and a DataNode would keep retrying it.
    # storage, all under this cluster's dir
    prop ozone.metadata.dirs "$dir/data/meta"
    prop ozone.scm.db.dirs "$dir/data/scm-db"
    prop ozone.om.db.dirs "$dir/data/om-db"
    prop ozone.scm.datanode.id.dir "$dir/data/dn-id"
    prop hdds.datanode.dir "$dir/data/dn"
    prop hdds.container.ratis.datanode.storage.dir "$dir/data/dn-ratis"
    prop ozone.om.ratis.storage.dir "$dir/data/om-ratis"
    prop ozone.scm.ha.ratis.storage.dir "$dir/data/scm-ratis"
    prop ozone.http.basedir "$dir/data/http"
    prop hdds.datanode.dir.du.reserved.percent 0
    prop hdds.datanode.volume.min.free.space 100MB
    # one node: replication ONE, no safe mode, quick heartbeats, small containers and blocks
    prop ozone.replication 1
    prop ozone.server.default.replication 1
    prop ozone.server.default.replication.type RATIS
    prop hdds.scm.safemode.enabled false
    prop hdds.scm.safemode.min.datanode 1
    prop hdds.scm.wait.time.after.safemode.exit 0s
    prop hdds.heartbeat.interval 2s
    prop ozone.scm.heartbeat.thread.interval 1s
    prop ozone.scm.container.size 256MB
    prop ozone.scm.block.size 16MB
    prop ozone.security.enabled false
    prop ozone.acl.enabled false
    # snapshots on; a snapshot diff job answers after 1 s instead of the default 1 min
    prop ozone.filesystem.snapshot.enabled true
    prop ozone.om.snapshot.diff.disable.native.libs true
    prop ozone.om.snapshot.diff.job.default.wait.time 1s
    # Idle CPU: the SCM's container-report executor pools (10 threads by default). The first key is
    # ScmUtils.getContainerReportConfPrefix() + ".thread.pool.size" (apache/ozone ozone-2.2.0,
    # hadoop-hdds/server-scm/src/main/java/org/apache/hadoop/hdds/scm/ScmUtils.java); the other
    # two are the per-event keys the notes measured (the SCM's effective config lists them).
    prop ozone.scm.event.ContainerReportOrIncrementalContainerReport.thread.pool.size 1
    prop ozone.scm.event.ContainerReport.thread.pool.size 1
    prop ozone.scm.event.IncrementalContainerReport.thread.pool.size 1
    # The background pipeline creator runs every 120 s by default and its first run comes before
    # the DataNode registers: every 5 s, the one RATIS/ONE pipeline is open seconds after start.
    prop ozone.scm.pipeline.creation.interval 5s
    echo '</configuration>'
  } > "$dir/conf/ozone-site.xml"
  # core-site.xml: the default FS for the HttpFS gateway and the shell, and the proxy user the
  # gateway (running as $user) needs to act for the user.name of each request.
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    prop fs.defaultFS "ofs://127.0.0.1:$(oz_port "$b" 0)"
    prop "hadoop.proxyuser.$user.hosts" '*'
    prop "hadoop.proxyuser.$user.groups" '*'
    prop hadoop.tmp.dir "$dir/data/tmp"
    echo '</configuration>'
  } > "$dir/conf/core-site.xml"
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    prop httpfs.http.hostname 127.0.0.1
    prop httpfs.http.port "$(oz_port "$b" 22)"
    prop "httpfs.proxyuser.$user.hosts" '*'
    prop "httpfs.proxyuser.$user.groups" '*'
    echo '</configuration>'
  } > "$dir/conf/httpfs-site.xml"
  [ -s "$dir/conf/httpfs-signature.secret" ] || head -c 24 /dev/urandom | base64 > "$dir/conf/httpfs-signature.secret"
  cp "$STATE/conf/log4j-server.properties" "$dir/conf/log4j.properties"
  echo "$b" > "$dir/base-port"
}

ozone_java() { # name role heap : the JVM command line of one daemon (marker: -Dhbr.oz=DIR/ROLE)
  local dir=$STATE/$1
  printf '%s\0' java "-Xmx$3" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${HADOOP_JAVA_OPENS[@]}" \
    "-Dhbr.oz=$dir/$2" -Dhbr.testbed="$STATE" \
    "-Dlog4j.configuration=file:$dir/conf/log4j.properties" \
    "-Dhadoop.log.dir=$dir/logs" \
    "-Djava.io.tmpdir=$dir/data/tmp" "-Dnative.lib.tmp.dir=$dir/data/tmp" \
    -cp "$dir/conf:$(cat "$OZONE_CP_FILE")"
}

ozone_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

oz_jmx() { # base offset bean : one JMX bean of a daemon's HTTP server, on one line
  curl -fsS -m 5 "http://127.0.0.1:$(oz_port "$1" "$2")/jmx?qry=$3" | tr -d ' \n'
}
# SCM: its HTTP server serves the node manager's bean (its RPC servers are up by then).
ozone_ready_scm() { oz_jmx "$1" 9 Hadoop:service=SCMNodeManager,name=SCMNodeManagerInfo | grep -q SCMNodeManagerInfo; }
ozone_ready_om() { oz_jmx "$1" 1 Hadoop:service=OzoneManager,name=OMMetrics | grep -q OMMetrics; }
# DataNode: registered and HEALTHY in service, and a pipeline with it OPEN (else the first write
# waits for one to be created).
ozone_ready_dn() {
  oz_jmx "$1" 9 Hadoop:service=SCMNodeManager,name=SCMNodeManagerInfo | grep -qE '"IN_SERVICE","value":\[[^]]*"HEALTHY","value":[1-9]' &&
    oz_jmx "$1" 9 Hadoop:service=SCMPipelineManager,name=SCMPipelineManagerInfo | grep -qE '"OPEN","value":[1-9]'
}
ozone_ready_httpfs() { curl -fsS -m 5 "http://127.0.0.1:$(oz_port "$1" 22)/webhdfs/v1/?op=LISTSTATUS&user.name=$(id -un)" | grep -q FileStatuses; }

start_ozone() { # name base
  local name=$1 b=$2 dir=$STATE/$1 i p cmd=()
  if pid_of "$name-httpfs" >/dev/null && pid_of "$name-om" >/dev/null && pid_of "$name-scm" >/dev/null && pid_of "$name-dn" >/dev/null; then
    log "$name already running"; return 0
  fi
  [ -s "$dir/base-port" ] && [ "$(cat "$dir/base-port")" != "$b" ] && pid_of "$name-scm" >/dev/null &&
    die "$name runs on base port $(cat "$dir/base-port"), not $b: testbed/down $name first"
  if ! pid_of "$name-scm" >/dev/null && ! pid_of "$name-om" >/dev/null && ! pid_of "$name-dn" >/dev/null && ! pid_of "$name-httpfs" >/dev/null; then
    for i in $(seq 0 $((OZ_PORTS - 1))); do
      p=$((b + i))
      ozone_port_free "$p" || die "port $p (BASE $b + $i) is in use: pick another base"
    done
  fi
  ozone_install
  ozone_conf "$name" "$b"
  # SCM: --init once (its VERSION file says it was), then the daemon.
  if ! pid_of "$name-scm" >/dev/null; then
    mapfile -d '' cmd < <(ozone_java "$name" scm 384m)
    if [ ! -s "$dir/data/scm-db/scm/current/VERSION" ]; then
      log "$name: SCM --init"
      "${cmd[@]}" org.apache.hadoop.hdds.scm.server.StorageContainerManagerStarter --init >"$LOGS/$name-scm-init.log" 2>&1 \
        || { tail -n 30 "$LOGS/$name-scm-init.log" >&2; die "$name: SCM --init failed"; }
    fi
    start "$name-scm" "${cmd[@]}" org.apache.hadoop.hdds.scm.server.StorageContainerManagerStarter
  fi
  if ! pid_of "$name-dn" >/dev/null; then
    mapfile -d '' cmd < <(ozone_java "$name" dn 384m)
    start "$name-dn" "${cmd[@]}" org.apache.hadoop.ozone.HddsDatanodeService
  fi
  if ! pid_of "$name-om" >/dev/null; then
    mapfile -d '' cmd < <(ozone_java "$name" om 512m)
    if [ ! -s "$dir/data/om-db/om/current/VERSION" ]; then
      wait_for "$name-scm" 180 ozone_ready_scm "$b"
      log "$name: OM --init"
      "${cmd[@]}" org.apache.hadoop.ozone.om.OzoneManagerStarter --init >"$LOGS/$name-om-init.log" 2>&1 \
        || { tail -n 30 "$LOGS/$name-om-init.log" >&2; die "$name: OM --init failed"; }
    fi
    start "$name-om" "${cmd[@]}" org.apache.hadoop.ozone.om.OzoneManagerStarter
  fi
  if ! pid_of "$name-httpfs" >/dev/null; then
    mapfile -d '' cmd < <(ozone_java "$name" httpfs 256m)
    # the directories the gateway's launcher (`ozone httpfs`) passes as system properties
    start "$name-httpfs" "${cmd[@]}" -Dhttpfs.home.dir="$dir" -Dhttpfs.config.dir="$dir/conf" \
      -Dhttpfs.log.dir="$dir/logs" -Dhttpfs.temp.dir="$dir/httpfs-temp" \
      org.apache.ozone.fs.http.server.HttpFSServerWebServer
  fi
  wait_for "$name-scm" 180 ozone_ready_scm "$b"
  wait_for "$name-om" 180 ozone_ready_om "$b"
  wait_for "$name-dn" 180 ozone_ready_dn "$b"
  wait_for "$name-httpfs" 180 ozone_ready_httpfs "$b"
}
