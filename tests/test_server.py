"""The WSGI server is sized for a hub full of phones and does not flood the log."""

from __future__ import annotations

import logging

from fieldkit import server


def test_the_server_takes_many_idle_connections_and_closes_them_in_time(app):
    made = server.make_server(app)
    try:
        adj = made.adj
        assert adj.connection_limit >= 500  # 100 phones with 4-6 keep-alive connections each
        assert adj.asyncore_use_poll  # select() stops at file descriptor 1024
        assert adj.channel_timeout <= 120 and adj.threads >= 4
    finally:
        made.close()


def test_waitress_queue_warnings_are_kept_to_one_a_minute():
    limiter = server.OncePerInterval(60.0)
    record = logging.LogRecord(
        "waitress.queue", logging.WARNING, __file__, 1, "Task queue depth is 5", (), None
    )
    passed = [limiter.filter(record) for _ in range(500)]
    assert passed.count(True) == 1
    limiter.last -= 61
    assert limiter.filter(record)


def test_making_servers_installs_the_queue_filter_once(app):
    for _ in range(2):
        server.make_server(app).close()
    filters = logging.getLogger("waitress.queue").filters
    assert sum(isinstance(f, server.OncePerInterval) for f in filters) == 1
