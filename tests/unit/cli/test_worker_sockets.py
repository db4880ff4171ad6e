"""Worker processes each listen on their own socket of one SO_REUSEPORT group (``WorkerSockets``): the
kernel spreads connections over them, instead of one worker accepting a whole burst."""

from __future__ import annotations

import multiprocessing
import pickle
import socket
from multiprocessing.connection import Connection
from pathlib import Path

from fortress.cli.worker_sockets import WorkerSockets
from support.cli import fortress


def test_the_parent_reserves_a_port_and_each_unpickled_copy_is_a_new_socket_on_it() -> None:
    sockets = WorkerSockets("127.0.0.1", 0)
    try:
        assert sockets.port > 0
        assert sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        first, second = pickle.loads(pickle.dumps(sockets)), pickle.loads(pickle.dumps(sockets))
        assert type(first) is list
        assert len(first) == len(second) == 1
        assert first[0].fileno() != second[0].fileno() != sockets[0].fileno()
        assert first[0].getsockname() == second[0].getsockname() == ("127.0.0.1", sockets.port)
        for copy in (first, second):
            copy[0].close()
    finally:
        sockets[0].close()


def _accept(sockets: list[socket.socket], report: Connection) -> None:
    (listener,) = sockets
    listener.listen(64)
    report.send("listening")
    listener.settimeout(2.0)
    accepted = []
    try:
        while True:
            accepted.append(listener.accept()[0])
    except TimeoutError:
        pass
    report.send(len(accepted))


def test_connections_are_spread_over_the_workers_sockets() -> None:
    """Two spawned workers (as uvicorn starts them: the list is pickled into each) and 40 connections:
    both workers get some (all 40 on one: probability 2 x 2^-40)."""
    sockets = WorkerSockets("127.0.0.1", 0)
    spawn = multiprocessing.get_context("spawn")
    pipes = [spawn.Pipe(duplex=False) for _ in range(2)]
    workers = [spawn.Process(target=_accept, args=(sockets, sender)) for _, sender in pipes]
    clients: list[socket.socket] = []
    try:
        for worker in workers:
            worker.start()
        assert all(receiver.poll(60) and receiver.recv() == "listening" for receiver, _ in pipes)
        clients += [socket.create_connection(("127.0.0.1", sockets.port)) for _ in range(40)]
        counts = [receiver.recv() for receiver, _ in pipes]
    finally:
        for client in clients:
            client.close()
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
                worker.join()
        sockets[0].close()
    assert sum(counts) == len(clients)
    assert min(counts) > 0, counts


def test_a_taken_port_stops_a_multi_worker_server_with_a_message(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        result = fortress(tmp_path, "up", "--no-train", "--workers", "2", "--port", str(port))
    finally:
        taken.close()
    assert result.returncode == 3, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
