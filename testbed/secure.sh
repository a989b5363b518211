# testbed/up --secure / testbed/down --secure: the secure test bed of issue 15, opt-in like --ozone and
# --hbase (started only by the suites that need it: test/secure/). Sourced by testbed/up, which has
# defined log, die, start, wait_for, resolve_classpath, secret and formatted.
#   secure-kdc      MiniKdc (Kerby), realm EXAMPLE.COM, testbed/java/SecureKdc.java
#   secure-primary  HA HDFS: nameservice hbrns, nn1 + nn2 over a shared edits dir, one DataNode, with
#                   Kerberos, SPNEGO, dfs.http.policy=HTTPS_ONLY and SASL data transfer protection on
#                   unprivileged ports, testbed/java/SecureHdfs.java
#   secure-dr       the same security, one NameNode and one DataNode (hdfs://localhost:41120)
# Its files: .state/secure/{kdc,tls,conf,dr-conf,classes}, the clusters' data in .state/secure-{primary,dr}.
# Clients: HBR_TB_SECURE=1 testbed/bin/hdfs haadmin|dtutil|dfs ... (testbed/bin/hadoop). The keys and
# the facts behind them: docs/design/secure-proposal.md (what was measured is marked there).

SECURE_DIR=$STATE/secure
SECURE_NS=hbrns
SECURE_PW_FILE=secure/tls.secret

secure_tls() { # a test CA, a server cert it signed (SAN localhost + 127.0.0.1), PKCS12 stores; once
  local d=$SECURE_DIR/tls pw
  [ -s "$d/keystore.p12" ] && [ -s "$d/other-ca.pem" ] && return 0
  pw=$(secret "$SECURE_PW_FILE")
  rm -rf "$d" && mkdir -p "$d"
  kt() { keytool -storetype pkcs12 -storepass "$pw" "$@" >>"$LOGS/secure-tls.log" 2>&1; }
  kt -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=hbr test bed CA" -ext bc:c -keystore "$d/ca.p12"
  kt -exportcert -rfc -alias ca -keystore "$d/ca.p12" -file "$d/ca.pem"
  kt -genkeypair -alias server -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=localhost" -keystore "$d/keystore.p12"
  kt -certreq -alias server -keystore "$d/keystore.p12" -file "$d/server.csr"
  kt -gencert -alias ca -keystore "$d/ca.p12" -infile "$d/server.csr" -outfile "$d/server.pem" -rfc -validity 3650 \
    -ext san=dns:localhost,ip:127.0.0.1 -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth
  kt -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$d/keystore.p12"
  kt -importcert -alias server -file "$d/server.pem" -keystore "$d/keystore.p12"
  kt -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$d/truststore.p12"
  # a second CA that signed nothing: what an "untrusted certificate" test trusts instead
  kt -genkeypair -alias other -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=hbr other CA" -ext bc:c -keystore "$d/other-ca.p12"
  kt -exportcert -rfc -alias other -keystore "$d/other-ca.p12" -file "$d/other-ca.pem"
  rm -f "$d/server.csr"
  log "secure: test CA and server keystore made with keytool ($d)"
}

secure_conf() { # the one conf dir of the secure servers and of their clients (testbed/bin/hadoop)
  local c=$SECURE_DIR/conf d=$SECURE_DIR/dr-conf k=$SECURE_DIR/kdc pw realm=EXAMPLE.COM f
  pw=$(secret "$SECURE_PW_FILE")
  mkdir -p "$c"
  p() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
  truststore() { p "ssl.$1.truststore.location" "$SECURE_DIR/tls/truststore.p12"; p "ssl.$1.truststore.type" pkcs12; p "ssl.$1.truststore.password" "$pw"; }
  {
    echo '<?xml version="1.0"?><configuration>'
    p fs.defaultFS "hdfs://$SECURE_NS"
    p hadoop.tmp.dir "$SECURE_DIR/tmp/hadoop-\${user.name}"
    p hadoop.security.authentication kerberos
    p hadoop.security.authorization false
    # hbr may make snapshots and fail over (superuser group) without Unix users (proposal §1.1);
    # yarn too: the secure YARN's JobHistory server reads what the jobs' AMs (as hbr) wrote
    p hadoop.user.group.static.mapping.overrides "hbr=supergroup;hdfs=supergroup;yarn=supergroup;dr.who=;"
    # SPNEGO on every NameNode/DataNode HTTP path except /webhdfs/v1 with delegation= (proposal §2.1)
    p hadoop.http.authentication.type kerberos
    p hadoop.http.authentication.kerberos.principal "HTTP/localhost@$realm"
    p hadoop.http.authentication.kerberos.keytab "$k/servers.keytab"
    p hadoop.ssl.server.conf ssl-server.xml
    p hadoop.ssl.client.conf ssl-client.xml
    p hadoop.rpc.protection authentication
    p ipc.client.connect.max.retries.on.sasl 10
    p mapreduce.framework.name local
    # DistCp obtains HDFS tokens for its job even in the local runner, with the RM's principal as
    # renewer (TokenCache/Master.getMasterPrincipal): without it "Can't get Master Kerberos principal
    # for use as renewer" (seen).
    p yarn.resourcemanager.principal "yarn/localhost@$realm"
    p mapreduce.client.progressmonitor.pollinterval 100
    echo '</configuration>'
  } > "$c/core-site.xml"
  # shared by both clusters' hdfs-site.xml
  hdfs_secure() { # dn-data dn-ipc dn-http dn-https
    p dfs.replication 1
    p dfs.permissions.enabled true
    p dfs.webhdfs.enabled true
    p dfs.namenode.snapshot.capture.openfiles true
    p dfs.namenode.kerberos.principal "hdfs/localhost@$realm"
    p dfs.namenode.keytab.file "$k/servers.keytab"
    p dfs.datanode.kerberos.principal "hdfs/localhost@$realm"
    p dfs.datanode.keytab.file "$k/servers.keytab"
    p dfs.web.authentication.kerberos.principal "HTTP/localhost@$realm"
    p dfs.web.authentication.kerberos.keytab "$k/servers.keytab"
    p dfs.block.access.token.enable true
    # SASL on the data transfer port + HTTPS_ONLY: a secure DataNode without privileged ports
    # (DataNode.checkSecureConfig; proposal §1.2, measured: no ignore.secure.ports.for.testing)
    p dfs.data.transfer.protection authentication
    p dfs.http.policy HTTPS_ONLY
    p dfs.datanode.address "127.0.0.1:$1"
    p dfs.datanode.ipc.address "127.0.0.1:$2"
    p dfs.datanode.http.address "127.0.0.1:$3"
    p dfs.datanode.https.address "127.0.0.1:$4"
    p dfs.client.https.keystore.resource ssl-client.xml
    p dfs.https.server.keystore.resource ssl-server.xml
  }
  {
    echo '<?xml version="1.0"?><configuration>'
    hdfs_secure "$HBR_TB_SECURE_DN_PORT" "$HBR_TB_SECURE_DN_IPC" "$HBR_TB_SECURE_DN_HTTP" "$HBR_TB_SECURE_DN_HTTPS"
    p dfs.nameservices "$SECURE_NS"
    p "dfs.ha.namenodes.$SECURE_NS" nn1,nn2
    p "dfs.namenode.rpc-address.$SECURE_NS.nn1" "localhost:$HBR_TB_SECURE_NN1_RPC"
    p "dfs.namenode.rpc-address.$SECURE_NS.nn2" "localhost:$HBR_TB_SECURE_NN2_RPC"
    p "dfs.namenode.http-address.$SECURE_NS.nn1" "localhost:$HBR_TB_SECURE_NN1_HTTP"
    p "dfs.namenode.http-address.$SECURE_NS.nn2" "localhost:$HBR_TB_SECURE_NN2_HTTP"
    # MiniDFSCluster sets no per-NameNode HTTPS address (proposal §1.3): without these both take :0
    p "dfs.namenode.https-address.$SECURE_NS.nn1" "localhost:$HBR_TB_SECURE_NN1_HTTPS"
    p "dfs.namenode.https-address.$SECURE_NS.nn2" "localhost:$HBR_TB_SECURE_NN2_HTTPS"
    p "dfs.client.failover.proxy.provider.$SECURE_NS" org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider
    p dfs.ha.automatic-failover.enabled false
    p dfs.ha.fencing.methods 'shell(/bin/true)'
    echo '</configuration>'
  } > "$c/hdfs-site.xml"
  # The DR's servers read their own dir (the same core-site and ssl files, an hdfs-site without the
  # primary's nameservice and DataNode ports); clients reach it as hdfs://localhost:<rpc> with the
  # primary's conf, which has every client key it needs.
  mkdir -p "$d"
  {
    echo '<?xml version="1.0"?><configuration>'
    hdfs_secure "$HBR_TB_SECURE_DR_DN_PORT" "$HBR_TB_SECURE_DR_DN_IPC" "$HBR_TB_SECURE_DR_DN_HTTP" "$HBR_TB_SECURE_DR_DN_HTTPS"
    p dfs.namenode.rpc-address "localhost:$HBR_TB_SECURE_DR_RPC"
    p dfs.namenode.http-address "localhost:$HBR_TB_SECURE_DR_HTTP"
    p dfs.namenode.https-address "localhost:$HBR_TB_SECURE_DR_HTTPS"
    echo '</configuration>'
  } > "$d/hdfs-site.xml"
  {
    echo '<?xml version="1.0"?><configuration>'
    p ssl.server.keystore.location "$SECURE_DIR/tls/keystore.p12"
    p ssl.server.keystore.type pkcs12
    p ssl.server.keystore.password "$pw"
    p ssl.server.keystore.keypassword "$pw"
    truststore server
    echo '</configuration>'
  } > "$c/ssl-server.xml"
  {
    echo '<?xml version="1.0"?><configuration>'
    truststore client
    echo '</configuration>'
  } > "$c/ssl-client.xml"
  chmod 600 "$c/ssl-server.xml" "$c/ssl-client.xml"
  cp "$STATE/conf/log4j.properties" "$c/log4j.properties"
  # Present even if empty: after KeytabLogin's login, FsShell's non-quiet Configuration fails on a
  # missing default resource ("mapred-site.xml not found", seen with 3.4.3).
  for f in mapred-site.xml yarn-site.xml; do [ -e "$c/$f" ] || echo '<?xml version="1.0"?><configuration></configuration>' > "$c/$f"; done
  for f in core-site.xml ssl-server.xml ssl-client.xml log4j.properties mapred-site.xml yarn-site.xml; do cp -p "$c/$f" "$d/$f"; done
}

secure_classes() { # the launchers, compiled once with the JDK's javac
  local out=$SECURE_DIR/classes src
  mkdir -p "$out"
  for src in "$TB"/java/*.java; do
    [ "$out/$(basename "$src" .java).class" -nt "$src" ] && continue
    javac -nowarn -d "$out" -cp "$(cat "$HADOOP_CP_FILE"):$(cat "$SECURE_CP_FILE")" "$TB"/java/*.java \
      || die "javac of testbed/java failed"
    return 0
  done
}

secure_kdc_ready() { [ -s "$SECURE_DIR/kdc/hbr.keytab" ] && grep -q HBR_KDC_READY "$LOGS/secure-kdc.log"; }
secure_hdfs_ready() { [ -s "$SECURE_DIR/$1.ready" ]; } # name

secure_java() { # name heap conf-dir class args...
  local name=$1 heap=$2 conf=$3; shift 3
  start "$name" java "-Xmx$heap" -XX:+UseSerialGC "${HADOOP_JAVA_OPENS[@]}" "-Dhbr.secure=$STATE/$name" \
    -Djava.security.krb5.conf="$SECURE_DIR/kdc/krb5.conf" \
    -Dlog4j.configuration="file:$STATE/conf/log4j-server.properties" \
    -cp "$conf:$SECURE_DIR/classes:$(cat "$HADOOP_CP_FILE"):$(cat "$SECURE_CP_FILE")" "$@"
}

# 41xxx lies inside Linux's ephemeral range (32768-60999 here): another engineer's client socket
# can hold one of our ports for a moment (seen: "Problem binding to [localhost:41020]"). A start
# that failed only on a BindException is tried again, up to five times, 5 s apart; so is one that
# MiniDFSCluster gave up on ("Timed out waiting for Mini HDFS Cluster to start", seen once on this
# 2-core machine under load; the data is kept, so the retry starts without formatting).
secure_start_hdfs() { # name heap conf-dir SecureHdfs-topology-args...
  local name=$1 heap=$2 conf=$3 attempt fmt t1
  shift 3
  for attempt in 1 2 3 4 5; do
    pid_of "$name" >/dev/null && return 0
    rm -f "$SECURE_DIR/$name.ready"
    fmt=false
    formatted "$STATE/$name" || fmt=true
    mkdir -p "$STATE/$name"
    secure_java "$name" "$heap" "$conf" SecureHdfs "$STATE/$name" "$fmt" "$SECURE_DIR/$name.ready" "$@"
    t1=$SECONDS
    until secure_hdfs_ready "$name" || ! pid_of "$name" >/dev/null || [ $((SECONDS - t1)) -ge 240 ]; do sleep 0.5; done
    pid_of "$name" >/dev/null && return 0
    grep -qE 'java.net.BindException|Timed out waiting for Mini HDFS Cluster to start' "$LOGS/$name.log" && [ "$attempt" -lt 5 ] || return 0  # wait_for reports it
    log "$name could not bind a port or start in time (attempt $attempt): trying again"
    cp "$LOGS/$name.log" "$LOGS/$name.bind-$attempt.log"
    sleep 5
  done
}

start_secure() {
  local t0=$SECONDS restart_servers=0
  resolve_classpath secure "$SECURE_CP_FILE"
  mkdir -p "$SECURE_DIR/kdc"
  secure_classes
  secure_tls
  if ! pid_of secure-kdc >/dev/null; then
    # A new KDC makes new keys: servers still logged in with the old ones must restart too.
    restart_servers=1
    rm -f "$SECURE_DIR/kdc/hbr.keytab" "$SECURE_DIR/kdc/servers.keytab"
    secure_java secure-kdc 128m "$SECURE_DIR/conf" SecureKdc "$SECURE_DIR/kdc" "$HBR_TB_SECURE_KDC_PORT"
    wait_for secure-kdc 120 secure_kdc_ready
  fi
  chmod 600 "$SECURE_DIR/kdc/"*.keytab
  secure_conf
  local n
  for n in secure-primary secure-dr; do
    if [ "$restart_servers" = 1 ] && pid_of "$n" >/dev/null; then
      log "secure: the KDC restarted; restarting $n"
      bash "$TB/down" "$n"
    fi
  done
  secure_start_hdfs secure-primary 768m "$SECURE_DIR/conf" ha "$SECURE_NS" \
    "$HBR_TB_SECURE_NN1_RPC" "$HBR_TB_SECURE_NN1_HTTP" "$HBR_TB_SECURE_NN2_RPC" "$HBR_TB_SECURE_NN2_HTTP"
  secure_start_hdfs secure-dr 512m "$SECURE_DIR/dr-conf" single "$HBR_TB_SECURE_DR_RPC" "$HBR_TB_SECURE_DR_HTTP"
  wait_for secure-primary 240 secure_hdfs_ready secure-primary
  wait_for secure-dr 240 secure_hdfs_ready secure-dr
  cat > "$SECURE_DIR/endpoints.json" <<EOF
{
  "nameservice": "$SECURE_NS",
  "fs": "hdfs://$SECURE_NS",
  "nn1": "https://localhost:$HBR_TB_SECURE_NN1_HTTPS",
  "nn2": "https://localhost:$HBR_TB_SECURE_NN2_HTTPS",
  "realm": "EXAMPLE.COM",
  "hbrPrincipal": "hbr@EXAMPLE.COM",
  "hbrKeytab": "$SECURE_DIR/kdc/hbr.keytab",
  "hdfsPrincipal": "hdfs/localhost@EXAMPLE.COM",
  "serversKeytab": "$SECURE_DIR/kdc/servers.keytab",
  "krb5Conf": "$SECURE_DIR/kdc/krb5.conf",
  "caPem": "$SECURE_DIR/tls/ca.pem",
  "otherCaPem": "$SECURE_DIR/tls/other-ca.pem",
  "conf": "$SECURE_DIR/conf",
  "drFs": "hdfs://localhost:$HBR_TB_SECURE_DR_RPC",
  "dr": "https://localhost:$HBR_TB_SECURE_DR_HTTPS"
}
EOF
  log "secure bed up in $((SECONDS - t0))s: nn1 https://localhost:$HBR_TB_SECURE_NN1_HTTPS, nn2 https://localhost:$HBR_TB_SECURE_NN2_HTTPS, dr https://localhost:$HBR_TB_SECURE_DR_HTTPS, KDC localhost:$HBR_TB_SECURE_KDC_PORT"
}
