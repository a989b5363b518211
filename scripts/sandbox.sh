#!/usr/bin/env bash
# `npm run sandbox`: install, start the test bed, put some data on the primary cluster, apply
# policies/sandbox.yaml (snapshot + bootstrap copy to DR + same-named DR snapshot, and a
# ZooKeeper archive in S3), then show that a second plan has nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
bash testbed/up
. testbed/.state/endpoints.env
export HBR_HADOOP=$HBR_TB_HADOOP
# The test bed's throw-away credentials, from the environment as in production (never in policies).
export HBR_ZK_ADMIN_AUTH="$HBR_TB_ZK_ADMIN_USER:$HBR_TB_ZK_ADMIN_PASSWORD"
export AWS_ACCESS_KEY_ID=$HBR_TB_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HBR_TB_S3_SECRET_KEY AWS_REGION=$HBR_TB_S3_REGION

if ! testbed/bin/hdfs dfs -test -d /sandbox/warehouse 2>/dev/null; then
  echo "== writing sample data to primary:/sandbox/warehouse"
  tmp=$(mktemp -d)
  for t in orders customers events; do
    mkdir -p "$tmp/$t"
    for i in 1 2 3; do head -c $((200000 * i)) /dev/urandom > "$tmp/$t/part-0000$i.parquet"; done
  done
  testbed/bin/hdfs dfs -mkdir -p /sandbox/warehouse
  testbed/bin/hdfs dfs -put "$tmp"/* /sandbox/warehouse/
  rm -rf "$tmp"
fi

echo; echo "== hbr validate"; ./bin/hbr validate -f policies/sandbox.yaml
echo; echo "== hbr apply"; ./bin/hbr apply -f policies/sandbox.yaml --auto-approve --state-dir .hbr/sandbox
echo; echo "== hbr plan (again: nothing to do)"
set +e
./bin/hbr plan -f policies/sandbox.yaml --detailed-exitcode --state-dir .hbr/sandbox
code=$?
set -e
echo; echo "plan --detailed-exitcode exited $code (0 = no changes)"

echo; echo "== hbr daemon (a few seconds: it reconciles on the policies' schedules), then hbr status"
rm -f .hbr/sandbox/daemon.json
./bin/hbr daemon -f policies/sandbox.yaml --state-dir .hbr/sandbox --listen 127.0.0.1:0 > .hbr/sandbox/daemon.log &
daemon=$!
for _ in $(seq 1 100); do
  if ./bin/hbr status --state-dir .hbr/sandbox --json 2>/dev/null | grep -q '"finishedAt"'; then break; fi
  sleep 0.3
done
sleep 2
./bin/hbr status --state-dir .hbr/sandbox || true
kill -TERM "$daemon"; wait "$daemon" || true
echo "(the daemon's JSON log: .hbr/sandbox/daemon.log; run it yourself: ./bin/hbr daemon -f policies/sandbox.yaml --state-dir .hbr/sandbox)"
echo "The test bed keeps running; stop it with: npm run testbed:down"
exit "$code"
