"""docker-compose.yml: the official 5.26 image, ports, volumes, auth from env, a real Bolt health check."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_compose_file_runs_neo4j_526_with_a_bolt_health_check() -> None:
    text = COMPOSE.read_text()
    assert text.startswith("#") and "docker compose up" in text.splitlines()[0]
    spec = yaml.safe_load(text)
    neo4j = spec["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26"
    ports = " ".join(neo4j["ports"])
    assert ":7474:7474" in ports and ":7687:7687" in ports
    assert "NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    assert any(k.startswith("NEO4J_server_memory") for k in neo4j["environment"])
    named = {v.split(":")[0] for v in neo4j["volumes"]}
    assert named <= set(spec["volumes"]) and "neo4j-data" in named
    check = " ".join(neo4j["healthcheck"]["test"])
    assert "cypher-shell" in check and "RETURN 1" in check
