#!/usr/bin/env bash
# Starts a 3-member etcd cluster on loopback: clients 23791-23793, peers 23801-23803.
set -eu
base=/tmp/etcd-research/cluster
mkdir -p $base
cluster="a=http://127.0.0.1:23801,b=http://127.0.0.1:23802,c=http://127.0.0.1:23803"
i=1
for n in a b c; do
  etcd --name $n --data-dir $base/$n.etcd \
    --listen-client-urls http://127.0.0.1:2379$i --advertise-client-urls http://127.0.0.1:2379$i \
    --listen-peer-urls http://127.0.0.1:2380$i --initial-advertise-peer-urls http://127.0.0.1:2380$i \
    --initial-cluster $cluster --initial-cluster-token rdqm-test --initial-cluster-state new \
    --heartbeat-interval 50 --election-timeout 500 \
    > $base/$n.log 2>&1 &
  echo $! > $base/$n.pid
  i=$((i+1))
done
