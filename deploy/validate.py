#!/usr/bin/env python3
"""Static checks of the deployment files, since Docker cannot run everywhere
the tests run: syntax of every YAML/JSON/TOML file, and the cross references
between them (ports, topics, service names, mounts, data source uids).

    python3 deploy/validate.py        # exit 0 when everything agrees

Needs PyYAML; uses the `jsonschema` package, when installed, to check the
output schemas against the JSON Schema 2020-12 meta-schema. tests/deploy.rs
runs this script when python3 and PyYAML are available.
"""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
errors = []


def check(ok, message):
    if not ok:
        errors.append(message)
    return ok


def load_yaml(rel):
    import yaml

    with open(ROOT / rel) as f:
        return yaml.safe_load(f)


def main():
    try:
        import yaml  # noqa: F401
    except ImportError:
        print("validate.py: PyYAML is missing (pip install pyyaml)", file=sys.stderr)
        return 2

    compose = load_yaml("docker-compose.yml")
    prom = load_yaml("deploy/prometheus.yml")
    datasources = load_yaml("deploy/grafana/provisioning/datasources/prometheus.yml")
    providers = load_yaml("deploy/grafana/provisioning/dashboards/newsflow.yml")
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/newsflow.json").read_text())
    with open(ROOT / "deploy/newsflow.toml", "rb") as f:
        nf = tomllib.load(f)
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    create_topics = (ROOT / "deploy/create-topics.sh").read_text()

    services = compose.get("services", {})
    for name in ["kafka", "kafka-init", "newsflow", "prometheus", "grafana"]:
        check(name in services, f"docker-compose.yml: service `{name}` is missing")
    if errors:
        return report()

    # depends_on targets exist; bind-mount sources exist.
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, (list, dict)) else []:
            check(dep in services, f"service {name} depends on unknown service {dep}")
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("./"):
                check((ROOT / src).exists(), f"service {name} mounts {src}, which does not exist")
            else:
                check(src in (compose.get("volumes") or {}), f"service {name} uses undeclared volume {src}")
    check(services["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy",
          "kafka-init must wait for a healthy broker")
    check(services["newsflow"]["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully",
          "newsflow must wait for the topics")

    # Kafka: KRaft single node, official image.
    kafka = services["kafka"]
    env = kafka["environment"]
    check(kafka["image"].startswith("apache/kafka:"), "kafka must use the official apache/kafka image")
    check("controller" in env["KAFKA_PROCESS_ROLES"] and "broker" in env["KAFKA_PROCESS_ROLES"],
          "kafka must run combined broker,controller (KRaft)")
    listeners = dict(l.split("://") for l in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(l.split("://") for l in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocol_map = dict(l.split(":") for l in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for name in list(listeners) + list(advertised):
        check(name in protocol_map, f"listener {name} has no security protocol")
    check(env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners, "controller listener is not declared")
    check(env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised, "inter-broker listener is not advertised")
    voter_port = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].rsplit(":", 1)[1]
    check(listeners["CONTROLLER"].endswith(":" + voter_port), "quorum voter port differs from the CONTROLLER listener")
    internal = advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    check(str(kafka["volumes"][0]).endswith(":" + env["KAFKA_LOG_DIRS"]), "kafka data volume is not log.dirs")
    host_ports = [str(p) for p in kafka.get("ports", [])]
    host_listener_port = listeners.get("HOST", ":").rsplit(":", 1)[1]
    check(any(p.endswith(":" + host_listener_port) for p in host_ports), "HOST listener port is not published")

    # newsflow: brokers, config mount, metrics port, scaling-friendly.
    nfs = services["newsflow"]
    nenv = nfs["environment"]
    check(nenv["NEWSFLOW_BROKERS"] == internal, f"NEWSFLOW_BROKERS {nenv['NEWSFLOW_BROKERS']} != advertised {internal}")
    check(nf["brokers"] == internal, f"deploy/newsflow.toml brokers {nf['brokers']} != {internal}")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in nfs["volumes"]}
    check(mounts.get(nenv["NEWSFLOW_CONFIG"]) == "./deploy/newsflow.toml", "NEWSFLOW_CONFIG is not the mounted file")
    check("container_name" not in nfs, "newsflow must not set container_name (it prevents --scale)")
    check(all(":" not in str(p) for p in nfs.get("ports", [])),
          "newsflow must not publish a fixed host port (replicas would collide)")
    check((ROOT / nfs["build"]["context"] / nfs["build"]["dockerfile"]).is_file(), "newsflow Dockerfile missing")
    metrics_port = nf["metrics"]["listen"].rsplit(":", 1)[1]
    check(nf["metrics"]["listen"].startswith("0.0.0.0:"), "metrics must listen on all interfaces in a container")
    check([str(p) for p in nfs["ports"]] == [metrics_port], "newsflow publishes a port other than metrics.listen")
    check(f"/dev/tcp/127.0.0.1/{metrics_port}" in " ".join(nfs["healthcheck"]["test"]), "healthcheck port != metrics port")
    check(f"EXPOSE {metrics_port}" in dockerfile, "Dockerfile EXPOSE != metrics port")
    grace = int(str(nfs["stop_grace_period"]).rstrip("s"))
    check(grace * 1000 > nf["delivery"]["shutdown_timeout_ms"], "stop_grace_period must exceed shutdown_timeout_ms")

    # Dockerfile: multi-stage, non-root, copies what exists.
    check(len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2, "Dockerfile must be multi-stage")
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    check(user and not user[-1].startswith(("0", "root")), "Dockerfile must end as a non-root user")
    for src in re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, re.M):
        check(src == "." or (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist")
    for pkg in ["gcc", "make", "perl", "libssl-dev"]:
        check(re.search(rf"\b{re.escape(pkg)}\b", dockerfile), f"Dockerfile build stage lacks {pkg}")

    # Topics: what kafka-init creates is what newsflow uses.
    created = set(re.findall(r"^create (\S+) ", create_topics, re.M))
    used = {v for v in nf["topics"].values() if v}
    check(created == used, f"create-topics.sh creates {sorted(created)} but newsflow uses {sorted(used)}")
    r = subprocess.run(["bash", "-n", str(ROOT / "deploy/create-topics.sh")], capture_output=True, text=True)
    check(r.returncode == 0, f"create-topics.sh: {r.stderr}")

    # Prometheus scrapes newsflow's metrics port, by service name (all replicas).
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    check("newsflow" in jobs, "prometheus.yml has no newsflow job")
    sd = jobs["newsflow"]["dns_sd_configs"][0]
    check(sd["names"] == ["newsflow"] and str(sd["port"]) == metrics_port, "prometheus does not scrape newsflow:metrics")
    check(any(v.endswith(":/etc/prometheus/prometheus.yml:ro") for v in services["prometheus"]["volumes"]),
          "prometheus.yml is not mounted")

    # Grafana: the data source uid the dashboard uses; the provisioned paths.
    uids = {d["uid"] for d in datasources["datasources"]}
    ds_url = datasources["datasources"][0]["url"]
    check(ds_url == "http://prometheus:9090", f"data source url {ds_url}")
    gmounts = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"]}
    path = providers["providers"][0]["options"]["path"]
    check(gmounts.get(path) == "./deploy/grafana/dashboards", "dashboard provider path is not the mounted folder")
    home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    check(home.startswith(path + "/") and (ROOT / "deploy/grafana/dashboards" / Path(home).name).is_file(),
          "home dashboard path does not point at a provisioned file")
    ids, grid = set(), []
    for p in dashboard["panels"]:
        check(p["id"] not in ids, f"duplicate panel id {p['id']}")
        ids.add(p["id"])
        g = p["gridPos"]
        check(0 <= g["x"] and g["x"] + g["w"] <= 24, f"panel {p['title']} is wider than the grid")
        for a in grid:
            overlap = (g["x"] < a["x"] + a["w"] and a["x"] < g["x"] + g["w"]
                       and g["y"] < a["y"] + a["h"] and a["y"] < g["y"] + g["h"])
            check(not overlap, f"panel {p['title']} overlaps another panel")
        grid.append(g)
        if p["type"] != "row":
            check(p["datasource"]["uid"] in uids, f"panel {p['title']} uses unknown data source")
            for t in p["targets"]:
                check(t["datasource"]["uid"] in uids, f"panel {p['title']} target uses unknown data source")
                check(t["expr"].count("(") == t["expr"].count(")"), f"unbalanced parentheses: {t['expr']}")

    # Output schemas against the meta-schema, when the package is available.
    try:
        import jsonschema

        for name in ["enriched-record", "relation-record"]:
            schema = json.loads((ROOT / f"schema/{name}.schema.json").read_text())
            jsonschema.Draft202012Validator.check_schema(schema)
    except ImportError:
        print("validate.py: jsonschema not installed; meta-schema check of schema/*.json skipped")
    except Exception as e:  # jsonschema.SchemaError
        errors.append(f"schema: {e}")

    return report()


def report():
    for e in errors:
        print(f"validate.py: {e}", file=sys.stderr)
    if not errors:
        print("validate.py: deployment files are consistent")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
