"""scripts/engine.py chooses a cluster's ports so that none is taken when its nodes bind.

In CI a base port drawn from the kernel's ephemeral range had one of its transport ports
(base + 100 + i) taken by an outgoing connection before the node started; the node exited.
No Java needed: the ports are chosen and checked before anything is resolved or started.
"""
from __future__ import annotations

import socket

import pytest

from tests.engines import engine_script


engine = engine_script()


def test_free_ports_are_below_the_ephemeral_range_apart_from_single_ones_and_all_bindable():
    low, _ = engine.ephemeral_range()
    for _ in range(20):
        base = engine.free_base_port(3)
        ports = engine.cluster_ports(base, 3)
        assert ports == [base, base + 1, base + 2, base + 100, base + 101, base + 102]
        assert engine.CLUSTER_PORTS_FROM <= min(ports) and max(ports) < engine.SINGLE_PORTS_FROM
        assert engine.busy_ports(ports) == []
        single = engine.free_port()
        assert engine.SINGLE_PORTS_FROM <= single < low and engine.busy_ports([single]) == []


def test_a_taken_transport_port_is_refused_before_any_node_starts(tmp_path):
    base = engine.free_base_port(2)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + engine.TRANSPORT_OFFSET + 1))
        holder.listen()
        with pytest.raises(engine.EngineError, match=rf"port\(s\) {base + 101} on 127.0.0.1 are taken"):
            engine.start("opensearch", 2, base, tmp_path)
    assert not (tmp_path / "cluster.json").exists()  # nothing written, nothing started

