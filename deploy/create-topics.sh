#!/usr/bin/env bash
# Creates newsflow's topics (idempotent: existing topics are left alone).
# Run by the `kafka-init` service of docker-compose.yml with the apache/kafka
# image; also usable against any cluster with Kafka's CLI tools on PATH or in
# /opt/kafka/bin:
#
#   BOOTSTRAP=broker:9092 REPLICATION=3 deploy/create-topics.sh
#
# Partitions bound parallelism: a consumer group never has more active
# members than the input topic has partitions (docs/deploy.md).
set -euo pipefail

BOOTSTRAP=${BOOTSTRAP:-kafka:9092}
REPLICATION=${REPLICATION:-1}
INPUT_PARTITIONS=${INPUT_PARTITIONS:-6}
OUTPUT_PARTITIONS=${OUTPUT_PARTITIONS:-6}
DLQ_PARTITIONS=${DLQ_PARTITIONS:-1}
# Dead letters wait for a fix and a `newsflow replay`: keep them 30 days.
DLQ_RETENTION_MS=${DLQ_RETENTION_MS:-2592000000}

topics_cmd=$(command -v kafka-topics.sh || echo /opt/kafka/bin/kafka-topics.sh)
if [[ ! -x $topics_cmd ]]; then
    echo "create-topics: kafka-topics.sh not found (put Kafka's bin/ on PATH)" >&2
    exit 1
fi

create() {
    local topic=$1 partitions=$2
    shift 2
    "$topics_cmd" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$topic" --partitions "$partitions" --replication-factor "$REPLICATION" "$@"
}

create articles.raw "$INPUT_PARTITIONS"
create articles.enriched "$OUTPUT_PARTITIONS"
create articles.relations "$OUTPUT_PARTITIONS"
create articles.dlq "$DLQ_PARTITIONS" --config "retention.ms=$DLQ_RETENTION_MS"
"$topics_cmd" --bootstrap-server "$BOOTSTRAP" --describe \
    --topic 'articles\..*' | grep -E '^Topic:' || true
echo "create-topics: done"
