# testbed/up --secure --yarn: the secure bed plus a Kerberized YARN (issue 15), so DistCp runs as a
# real MapReduce job. Sourced by testbed/up after secure.sh (uses its SECURE_DIR, secure_java, ...).
#   secure-yarn   MiniMRYarnCluster: ResourceManager + one NodeManager + JobHistory server in one JVM,
#                 logged in as yarn/localhost (testbed/java/yarn/SecureYarn.java), SPNEGO and
#                 HTTPS_ONLY on their web apps like the NameNodes, little memory.
# Its conf dir .state/secure/yarn-conf = the secure conf plus yarn-site.xml and mapred-site.xml
# (mapreduce.framework.name=yarn): the server's and the clients' (HBR_TB_SECURE=1 HBR_TB_YARN=1
# testbed/bin/hadoop distcp ...). Keys and why: docs/design/secure-proposal.md §1.4, testbed/secure.md.

secure_yarn_conf() {
  local c=$SECURE_DIR/yarn-conf k=$SECURE_DIR/kdc realm=EXAMPLE.COM f opens
  mkdir -p "$c"
  for f in core-site.xml hdfs-site.xml ssl-server.xml ssl-client.xml log4j.properties; do cp -p "$SECURE_DIR/conf/$f" "$c/$f"; done
  p() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
  # Containers are JVMs on Java 17 too: the same --add-opens as every Hadoop JVM here (lib.sh).
  opens="${HADOOP_JAVA_OPENS[*]} -Djava.security.krb5.conf=$k/krb5.conf"
  {
    echo '<?xml version="1.0"?><configuration>'
    p yarn.minicluster.fixed.ports true
    # MRApps.setMRFrameworkClasspath gives the containers the submitting client's classpath only
    # when the job's conf says so (MiniYARNCluster sets it in the servers' conf, not the client's).
    p yarn.is.minicluster true
    p yarn.resourcemanager.hostname localhost
    p yarn.resourcemanager.address "localhost:$HBR_TB_SECURE_RM_RPC"
    p yarn.resourcemanager.scheduler.address "localhost:$HBR_TB_SECURE_RM_SCHED"
    p yarn.resourcemanager.resource-tracker.address "localhost:$HBR_TB_SECURE_RM_TRACKER"
    p yarn.resourcemanager.admin.address "localhost:$HBR_TB_SECURE_RM_ADMIN"
    p yarn.resourcemanager.webapp.address "localhost:$HBR_TB_SECURE_RM_HTTP"
    p yarn.resourcemanager.webapp.https.address "localhost:$HBR_TB_SECURE_RM_HTTPS"
    p yarn.http.policy HTTPS_ONLY
    p yarn.resourcemanager.principal "yarn/localhost@$realm"
    p yarn.resourcemanager.keytab "$k/servers.keytab"
    p yarn.nodemanager.principal "yarn/localhost@$realm"
    p yarn.nodemanager.keytab "$k/servers.keytab"
    # SPNEGO on the web apps (TestContainerManagerSecurity's keys); core-site.xml's
    # hadoop.http.authentication.type=kerberos makes the RM use RMAuthenticationFilter (RMWebAppUtil).
    # ... but only when the filter initializers name AuthenticationFilterInitializer (RMWebAppUtil
    # .setupSecurityAndFilters swaps it for RMAuthenticationFilterInitializer): without it the RM's
    # /ws/v1/cluster answered 200 to anyone (seen).
    p hadoop.http.filter.initializers org.apache.hadoop.security.AuthenticationFilterInitializer
    p yarn.resourcemanager.webapp.spnego-principal "HTTP/localhost@$realm"
    p yarn.resourcemanager.webapp.spnego-keytab-file "$k/servers.keytab"
    p yarn.nodemanager.webapp.spnego-principal "HTTP/localhost@$realm"
    p yarn.nodemanager.webapp.spnego-keytab-file "$k/servers.keytab"
    p yarn.nodemanager.address "localhost:$HBR_TB_SECURE_NM_RPC"
    p yarn.nodemanager.localizer.address "localhost:$HBR_TB_SECURE_NM_LOCALIZER"
    p yarn.nodemanager.webapp.address "localhost:$HBR_TB_SECURE_NM_HTTP"
    p yarn.nodemanager.webapp.https.address "localhost:$HBR_TB_SECURE_NM_HTTPS"
    # small node (proposal §1.5): an AM of 384 MB and maps of 256 MB fit
    p yarn.nodemanager.resource.memory-mb 2048
    p yarn.nodemanager.resource.cpu-vcores 4
    p yarn.scheduler.minimum-allocation-mb 128
    p yarn.scheduler.maximum-allocation-mb 2048
    # a busy shared disk must not make the only NodeManager unhealthy
    p yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage 99.9
    p yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb 0
    p yarn.log-aggregation-enable false
    p yarn.timeline-service.enabled false
    echo '</configuration>'
  } > "$c/yarn-site.xml"
  {
    echo '<?xml version="1.0"?><configuration>'
    p mapreduce.framework.name yarn
    # not /tmp/hadoop-yarn/staging: MiniMRYarnCluster replaces that default with a local path
    p yarn.app.mapreduce.am.staging-dir /hbr-yarn/staging
    p mapreduce.jobhistory.minicluster.fixed.ports true
    p mapreduce.jobhistory.address "localhost:$HBR_TB_SECURE_JHS_RPC"
    p mapreduce.jobhistory.admin.address "localhost:$HBR_TB_SECURE_JHS_ADMIN"
    p mapreduce.jobhistory.webapp.address "localhost:$HBR_TB_SECURE_JHS_HTTP"
    p mapreduce.jobhistory.webapp.https.address "localhost:$HBR_TB_SECURE_JHS_HTTPS"
    p mapreduce.jobhistory.http.policy HTTPS_ONLY
    # the RM's principal: JobHistoryServer.doSecureLogin replaces the JVM's login user (§1.4)
    p mapreduce.jobhistory.principal "yarn/localhost@$realm"
    p mapreduce.jobhistory.keytab "$k/servers.keytab"
    p mapreduce.jobhistory.webapp.spnego-principal "HTTP/localhost@$realm"
    p mapreduce.jobhistory.webapp.spnego-keytab-file "$k/servers.keytab"
    p yarn.app.mapreduce.am.resource.mb 384
    p yarn.app.mapreduce.am.command-opts -Xmx256m
    p yarn.app.mapreduce.am.admin-command-opts "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 $opens"
    p mapreduce.map.memory.mb 256
    p mapreduce.map.java.opts -Xmx200m
    p mapreduce.admin.map.child.java.opts "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true $opens"
    p mapreduce.reduce.memory.mb 256
    p mapreduce.admin.reduce.child.java.opts "-XX:+UseSerialGC -Djava.net.preferIPv4Stack=true $opens"
    echo '</configuration>'
  } > "$c/mapred-site.xml"
}

secure_yarn_classes() { # SecureYarn needs the yarn profile's jars, so it is compiled apart
  local out=$SECURE_DIR/yarn-classes src=$TB/java/yarn/SecureYarn.java
  mkdir -p "$out"
  [ "$out/SecureYarn.class" -nt "$src" ] && return 0
  javac -nowarn -d "$out" -cp "$(cat "$HADOOP_CP_FILE"):$(cat "$YARN_CP_FILE")" "$src" || die "javac of $src failed"
}

secure_yarn_ready() { [ -s "$SECURE_DIR/secure-yarn.ready" ]; }

start_secure_yarn() {
  local t0=$SECONDS c=$SECURE_DIR/yarn-conf attempt t1
  resolve_classpath yarn "$YARN_CP_FILE"
  secure_yarn_classes
  secure_yarn_conf
  pid_of secure-yarn >/dev/null && { log "secure-yarn already running"; return 0; }
  mkdir -p "$STATE/secure-yarn"
  # Its fixed ports lie in Linux's ephemeral range, like the NameNodes' (secure.sh
  # secure_start_hdfs): a start that failed only on a BindException is tried again, up to 5 times.
  for attempt in 1 2 3 4 5; do
    rm -f "$SECURE_DIR/secure-yarn.ready"
    # MiniYARNCluster makes target/<name> under the working dir: ours, inside the state dir.
    (cd "$STATE/secure-yarn" && start secure-yarn java -Xmx512m -XX:+UseSerialGC "${HADOOP_JAVA_OPENS[@]}" \
      "-Dhbr.secure=$STATE/secure-yarn" -Djava.security.krb5.conf="$SECURE_DIR/kdc/krb5.conf" \
      -Dlog4j.configuration="file:$STATE/conf/log4j-server.properties" \
      -cp "$c:$SECURE_DIR/yarn-classes:$(cat "$HADOOP_CP_FILE"):$(cat "$YARN_CP_FILE")" \
      SecureYarn "yarn/localhost@EXAMPLE.COM" "$SECURE_DIR/kdc/servers.keytab" "$SECURE_DIR/secure-yarn.ready")
    t1=$SECONDS
    until secure_yarn_ready || ! pid_of secure-yarn >/dev/null || [ $((SECONDS - t1)) -ge 240 ]; do sleep 0.5; done
    pid_of secure-yarn >/dev/null && break
    grep -q 'java.net.BindException' "$LOGS/secure-yarn.log" && [ "$attempt" -lt 5 ] || break  # wait_for reports it
    log "secure-yarn could not bind a port (attempt $attempt): trying again"
    cp "$LOGS/secure-yarn.log" "$LOGS/secure-yarn.bind-$attempt.log"
    sleep 5
  done
  wait_for secure-yarn 240 secure_yarn_ready
  log "secure YARN up in $((SECONDS - t0))s: RM https://localhost:$HBR_TB_SECURE_RM_HTTPS (SPNEGO), rpc localhost:$HBR_TB_SECURE_RM_RPC"
}
