"""Apache Kafka for the local stack: one KRaft node (broker + controller) from Maven Central.

`narrmon stack up` fetches ``org.apache.kafka:kafka_2.13:<settings.kafka.version>`` and its runtime
dependencies plus slf4j-reload4j with ``deploy/local/kafka/pom.xml`` into
``<cache>/kafka-<version>/libs``, formats the storage once (``kafka.tools.StorageTool format
--standalone``, a fresh cluster id), then runs ``java -cp 'libs/*' kafka.Kafka server.properties``.

The node listens on 127.0.0.1 only: clients on ``settings.kafka.port``, the controller quorum on
``settings.kafka.controller_port``. Internal topics use replication 1 and consumer groups start
without the initial rebalance delay, so tests join groups fast. Auto-creation of topics is left on
(Kafka's default); code that cares about partitions creates its topics explicitly.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import uuid
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack.errors import ProvisionError
from pipeline.stack.launch import Launch
from pipeline.stack.layout import StackLayout
from pipeline.stack.provision import is_complete, mark_complete, require_tool, run_maven

logger = logging.getLogger(__name__)

NAME = "kafka"
MAIN_CLASS = "kafka.Kafka"


def render_server_properties(settings: Settings, data_dir: Path) -> str:
    """The broker's ``server.properties`` (pure)."""
    k = settings.kafka
    lines = [
        "# Rendered by narrmon (pipeline/stack/kafka.py); edits are overwritten by `stack up`.",
        "process.roles=broker,controller",
        "node.id=1",
        f"listeners=PLAINTEXT://{k.host}:{k.port},CONTROLLER://{k.host}:{k.controller_port}",
        f"advertised.listeners=PLAINTEXT://{k.host}:{k.port}",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        f"controller.quorum.bootstrap.servers={k.host}:{k.controller_port}",
        f"log.dirs={data_dir}",
        f"num.partitions={settings.topics.partitions}",
        "default.replication.factor=1",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "min.insync.replicas=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "delete.topic.enable=true",
        "log.retention.hours=24",
        "log.segment.bytes=67108864",
        "num.network.threads=2",
        "num.io.threads=2",
        "num.recovery.threads.per.data.dir=1",
    ]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID as unpadded URL-safe base64 (22 characters), never
    starting with "-": ``kafka-storage format -t -Xy...`` reads such an id as an option and fails
    ("argument --cluster-id/-t: expected one argument"); one random id in 64 starts with it
    (Kafka's own ``Uuid.randomUuid`` draws again for the same reason)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def provision(settings: Settings, layout: StackLayout) -> Path:
    """Fetch the broker's jars unless already there; return the ``libs`` folder. Blocking."""
    home = layout.cache_dir / f"kafka-{settings.kafka.version}"
    libs = home / "libs"
    if is_complete(home):
        return libs
    run_maven(
        layout.deploy_dir / "local" / "kafka" / "pom.xml",
        ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
        m2_repo=layout.m2_repo,
        properties={"kafka.version": settings.kafka.version},
        what=f"Apache Kafka {settings.kafka.version}",
    )
    if not any(libs.glob(f"kafka_2.13-{settings.kafka.version}.jar")):
        raise ProvisionError(f"Maven finished but {libs} holds no kafka_2.13 jar")
    mark_complete(home)
    return libs


def _format_storage(java: str, libs: Path, config: Path, data_dir: Path, log_file: Path) -> None:
    if (data_dir / "meta.properties").is_file():
        return
    argv = [java, "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format"]
    argv += ["-t", new_cluster_id(), "-c", str(config), "--standalone", "--ignore-formatted"]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                          check=False)  # fmt: skip
    with log_file.open("ab") as log:
        log.write(done.stdout)
    if done.returncode != 0:
        said = done.stdout.decode("utf-8", errors="replace").strip().splitlines()[-3:]
        raise ProvisionError(f"formatting Kafka storage in {data_dir} failed ({' | '.join(said)}); "
                             f"see {log_file}")  # fmt: skip


def prepare(settings: Settings, layout: StackLayout) -> Launch:
    """Provision, render the config, format storage on first start; return how to launch it."""
    java = require_tool("java")
    libs = provision(settings, layout)
    home = layout.service_dir(NAME)
    data_dir = home / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = home / "server.properties"
    config.write_text(render_server_properties(settings, data_dir), encoding="utf-8")
    _format_storage(java, libs, config, data_dir, layout.log_file(NAME))
    log4j = layout.deploy_dir / "local" / "kafka" / "log4j.properties"
    heap = settings.kafka.heap
    argv = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{log4j}",
        f"-Dkafka.logs.dir={home / 'logs'}",
        "-cp",
        f"{libs}/*",
        MAIN_CLASS,
        str(config),
    ]
    return Launch(argv=tuple(argv), marker=str(config), cwd=home)
