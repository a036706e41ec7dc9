#!/usr/bin/env bash
# mqadmin against a real two-master cluster (deploy/cluster.sh 2m-noslave):
# usage errors (exit 2), an unreachable name server (exit 1, quickly), and
# the topic, message, group and broker commands end to end.
#   mqadmin_test.sh <build dir>
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
export BUILD_DIR="$(cd "$1" && pwd)"
export PORT_OFFSET=auto
export CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mqadmin-test.XXXXXX")"
trap 'bash "$ROOT/deploy/cluster.sh" down 2m-noslave >/dev/null 2>&1; rm -rf "$CLUSTER_DIR"' EXIT
A="$BUILD_DIR/mq/tools/mqadmin"
N="127.0.0.1:9876"  # for the usage checks: never contacted
failures=0
check() {  # check <description> <expected exit> <command...>; output in $out
  local what="$1" want="$2"; shift 2
  out=$("$@" 2>&1); local rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL: $what: exit $rc, want $want: $out" >&2; failures=$((failures + 1)); return 1; fi
}
contains() {  # contains <description> <text>
  if ! grep -qF -- "$2" <<<"$out"; then echo "FAIL: $1: no '$2' in: $out" >&2; failures=$((failures + 1)); fi
}

# Usage errors: no cluster needed.
check "no command" 2 "$A"
check "unknown command" 2 "$A" bogus -n "$N"; contains "unknown command" "unknown command 'bogus'"
check "unknown option" 2 "$A" topicRoute -n "$N" -t T -x 1; contains "unknown option" "unknown option '-x'"
check "missing required" 2 "$A" topicRoute -n "$N"; contains "missing -t" "-t <topic> is required"
check "option without value" 2 "$A" topicRoute -n "$N" -t
check "bad number" 2 "$A" updateTopic -n "$N" -t T -c DefaultCluster -r abc; contains "bad -r" "-r: 'abc' is not a number"
check "both -b and -c" 2 "$A" updateTopic -n "$N" -t T -c C -b 1.2.3.4:5
check "no name server" 2 env -u NAMESRV_ADDR "$A" topicList
check "help" 0 "$A" help updateTopic; contains "help" "usage: mqadmin updateTopic"
start=$(date +%s)
check "unreachable name server" 1 "$A" topicList -n 127.0.0.1:1; contains "unreachable" "127.0.0.1:1"
[ $(( $(date +%s) - start )) -le 5 ] || { echo "FAIL: unreachable name server took more than 5 s" >&2; failures=$((failures + 1)); }

bash "$ROOT/deploy/cluster.sh" up 2m-noslave >/dev/null || { echo "FAIL: cluster up" >&2; exit 1; }
OFF="$(cat "$CLUSTER_DIR/port_offset")"
N="127.0.0.1:$((9876 + OFF));127.0.0.1:$((9877 + OFF))"
check "clusterList" 0 "$A" clusterList -n "$N"; contains "clusterList a" "broker-a"; contains "clusterList b" "broker-b"
check "updateTopic" 0 "$A" updateTopic -n "$N" -t AdminTopic -c DefaultCluster -r 2 -w 2
check "topicRoute" 0 "$A" topicRoute -n "$N" -t AdminTopic --json
[ "$(grep -c '"brokerName"' <<<"$out")" -ge 4 ] || { echo "FAIL: route lacks two brokers: $out" >&2; failures=$((failures + 1)); }
check "topicList" 0 "$A" topicList -n "$N"; contains "topicList" "AdminTopic"
check "sendMessage" 0 "$A" sendMessage -n "$N" -t AdminTopic -p "hello from mqadmin" -k order-4711 -c TagA --json
contains "sendMessage" '"sendStatus": "SEND_OK"'
offset_id=$(sed -n 's/.*"offsetMsgId": "\([0-9A-F]*\)".*/\1/p' <<<"$out")
uniq_id=$(sed -n 's/.*"msgId": "\([0-9A-F]*\)".*/\1/p' <<<"$out")
check "queryMsgById" 0 "$A" queryMsgById -n "$N" -i "$offset_id"; contains "by id" "hello from mqadmin"; contains "tags" "TagA"
check "queryMsgByUniqueKey" 0 "$A" queryMsgByUniqueKey -n "$N" -t AdminTopic -i "$uniq_id"; contains "by uniq" "hello from mqadmin"
ok=0
for _ in $(seq 50); do  # the index is built by the dispatcher: a moment after the send
  out=$("$A" queryMsgByKey -n "$N" -t AdminTopic -k order-4711 2>&1) && grep -q "hello from mqadmin" <<<"$out" && { ok=1; break; }
  sleep 0.1
done
[ $ok = 1 ] || { echo "FAIL: queryMsgByKey: $out" >&2; failures=$((failures + 1)); }
check "topicStatus" 0 "$A" topicStatus -n "$N" -t AdminTopic --json; contains "status" '"maxOffset": 1'
check "queryMsgById unknown" 1 "$A" queryMsgById -n "$N" -i 7F00000100003A3F00000000DEADBEEF
check "updateSubGroup" 0 "$A" updateSubGroup -n "$N" -g admin_group -c DefaultCluster -r 3
check "consumerProgress (no consumer)" 1 "$A" consumerProgress -n "$N" -g nobody_consumes_this
check "deleteSubGroup" 0 "$A" deleteSubGroup -n "$N" -g admin_group -c DefaultCluster
check "brokerStatus" 0 "$A" brokerStatus -n "$N" -b "127.0.0.1:$((10911 + OFF))"; contains "brokerStatus" "brokerRole"

# The rest of the command list.
BA="127.0.0.1:$((10911 + OFF))"
check "clusterList -m" 0 "$A" clusterList -n "$N" -m; contains "clusterList -m" "inTotalToday"
check "topicClusterList" 0 "$A" topicClusterList -n "$N" -t AdminTopic; contains "topicClusterList" "DefaultCluster"
check "allocateMQ" 0 "$A" allocateMQ -n "$N" -t AdminTopic -i c1,c2 --json
[ "$(grep -c '"clientId": "c1"' <<<"$out")" = 2 ] && [ "$(grep -c '"clientId": "c2"' <<<"$out")" = 2 ] \
  || { echo "FAIL: allocateMQ: 4 queues over 2 clients: $out" >&2; failures=$((failures + 1)); }
check "updateTopicPerm read-only" 0 "$A" updateTopicPerm -n "$N" -t AdminTopic -p 4 -c DefaultCluster
check "send to a read-only topic" 1 "$A" sendMessage -n "$N" -t AdminTopic -p nope
check "updateTopicPerm back" 0 "$A" updateTopicPerm -n "$N" -t AdminTopic -p 6 -c DefaultCluster; contains "perm back" "4"
check "updateTopicPerm bad perm" 2 "$A" updateTopicPerm -n "$N" -t AdminTopic -p 5 -c DefaultCluster
check "updateOrderConf put" 0 "$A" updateOrderConf -n "$N" -t AdminTopic -m put -v "broker-a:2"
check "updateOrderConf get" 0 "$A" updateOrderConf -n "$N" -t AdminTopic -m get; contains "order conf" "broker-a:2"
check "updateOrderConf delete" 0 "$A" updateOrderConf -n "$N" -t AdminTopic -m delete
check "checkMsgSendRT" 0 "$A" checkMsgSendRT -n "$N" -t AdminTopic -a 5 -s 64; contains "checkMsgSendRT" "avgRtMs"
check "sendMsgStatus" 0 "$A" sendMsgStatus -n "$N" -b broker-a -c 3; contains "sendMsgStatus" "maxRtMs"
check "clusterRT" 0 "$A" clusterRT -n "$N" -c DefaultCluster -a 3; contains "clusterRT a" "broker-a"; contains "clusterRT b" "broker-b"
check "getBrokerConfig" 0 "$A" getBrokerConfig -n "$N" -b "$BA"; contains "getBrokerConfig" "brokerName"
check "updateBrokerConfig" 0 "$A" updateBrokerConfig -n "$N" -b "$BA" -k defaultTopicQueueNums -v 4
check "getBrokerConfig after" 0 "$A" getBrokerConfig -n "$N" -b "$BA" --json; contains "changed key" '"defaultTopicQueueNums": "4"'
check "wipeWritePerm" 0 "$A" wipeWritePerm -n "$N" -b broker-b; contains "wipe" "topics changed"
check "addWritePerm" 0 "$A" addWritePerm -n "$N" -b broker-b; contains "add" "topics changed"
check "cleanExpiredCQ" 0 "$A" cleanExpiredCQ -n "$N" -c DefaultCluster
check "cleanUnusedTopic" 0 "$A" cleanUnusedTopic -n "$N" -c DefaultCluster; contains "cleanUnusedTopic" "unused topic"
check "consumeMessage (no group)" 0 "$A" consumeMessage -n "$N" -t AdminTopic -c 10; contains "consume" "hello from mqadmin"
check "consumeMessage -g" 0 "$A" consumeMessage -n "$N" -t AdminTopic -g admin_cg; contains "consume -g" "hello from mqadmin"
check "consumerProgress after consume" 0 "$A" consumerProgress -n "$N" -g admin_cg -t AdminTopic; contains "no lag" "Diff Total: 0"
check "printMsg" 0 "$A" printMsg -n "$N" -t AdminTopic; contains "printMsg" "hello from mqadmin"
check "sendMessage for printMsgByQueue" 0 "$A" sendMessage -n "$N" -t AdminTopic -p by-queue --json
bname=$(sed -n 's/.*"brokerName": "\([^"]*\)".*/\1/p' <<<"$out"); qid=$(sed -n 's/.*"queueId": \([0-9]*\).*/\1/p' <<<"$out")
check "printMsgByQueue" 0 "$A" printMsgByQueue -n "$N" -t AdminTopic -a "$bname" -i "$qid"; contains "printMsgByQueue" "by-queue"
check "statsAll" 0 "$A" statsAll -n "$N"; contains "statsAll" "AdminTopic"
check "cloneGroupOffset" 0 "$A" cloneGroupOffset -n "$N" -s admin_cg -d admin_cg2 -t AdminTopic
check "skipAccumulatedMessage" 0 "$A" skipAccumulatedMessage -n "$N" -g admin_cg2 -t AdminTopic
check "progress after skip" 0 "$A" consumerProgress -n "$N" -g admin_cg2 -t AdminTopic; contains "skip" "Diff Total: 0"
check "producerConnection" 0 "$A" producerConnection -n "$N" -g nobody_produces -t AdminTopic; contains "producerConnection" "clientId"
check "listHalfMessages" 0 "$A" listHalfMessages -n "$N" -c DefaultCluster; contains "listHalfMessages" "producerGroup"
check "resumeCheckHalfMessage bad id" 2 "$A" resumeCheckHalfMessage -n "$N" -i nothex
check "consumerStatus (no client)" 1 "$A" consumerStatus -n "$N" -g admin_cg
check "getConsumerStatus (no client)" 1 "$A" getConsumerStatus -n "$N" -g admin_cg -t AdminTopic
check "updateKvConfig" 0 "$A" updateKvConfig -n "$N" -s TEST_NS -k k1 -v v1
check "deleteKvConfig" 0 "$A" deleteKvConfig -n "$N" -s TEST_NS -k k1
check "getNamesrvConfig" 0 "$A" getNamesrvConfig -n "$N"; contains "getNamesrvConfig" "listenPort"
check "updateNamesrvConfig" 0 "$A" updateNamesrvConfig -n "$N" -k orderMessageEnable -v true
check "getNamesrvConfig after" 0 "$A" getNamesrvConfig -n "$N" --json; contains "namesrv key" '"orderMessageEnable": "true"'
for c in clusterList topicClusterList updateTopicPerm updateOrderConf allocateMQ clusterRT brokerConsumeStats getBrokerConfig \
         updateBrokerConfig wipeWritePerm addWritePerm cleanExpiredCQ cleanUnusedTopic sendMsgStatus checkMsgSendRT \
         consumeMessage printMsg printMsgByQueue listHalfMessages resumeCheckHalfMessage consumerStatus getConsumerStatus \
         cloneGroupOffset skipAccumulatedMessage producerConnection updateKvConfig deleteKvConfig getNamesrvConfig \
         updateNamesrvConfig statsAll; do
  check "help $c" 0 "$A" help "$c"
done
check "brokerConsumeStats" 0 "$A" brokerConsumeStats -n "$N" -b "$BA"; contains "brokerConsumeStats" "consumerOffset"

check "deleteTopic" 0 "$A" deleteTopic -n "$N" -t AdminTopic -c DefaultCluster
check "route after delete" 1 "$A" topicRoute -n "$N" -t AdminTopic

if [ $failures -gt 0 ]; then echo "mqadmin: $failures check(s) failed"; exit 1; fi
echo "mqadmin: all checks passed"
