#!/usr/bin/env bash
# `npm run sandbox`: install, start the test bed, put some data on the primary cluster, apply
# policies/sandbox.yaml (snapshot + bootstrap copy to DR + same-named DR snapshot), then show
# that a second plan has nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
bash testbed/up
. testbed/.state/endpoints.env
export HBR_HADOOP=$HBR_TB_HADOOP

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
echo "The test bed keeps running; stop it with: npm run testbed:down"
exit "$code"
