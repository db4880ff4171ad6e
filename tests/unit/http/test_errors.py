"""HttpErrors: one transport's table and body format give every failure its response."""

from __future__ import annotations

import logging

import orjson
import pytest
from starlette.exceptions import HTTPException

from fortress.errors import DeadlineExceeded, ErrorKind, NotFound, Overloaded, Unprocessable
from fortress.gateway.http.errors import ERRORS as GATEWAY
from fortress.http.errors import HttpErrors
from fortress.server.errors import ERRORS as SERVER


def _body(message: str, kind: ErrorKind) -> bytes:
    return orjson.dumps({"message": message, "kind": kind.value})


TABLE = dict.fromkeys(ErrorKind, 400) | {ErrorKind.NOT_FOUND: 404, ErrorKind.OVERLOADED: 429}


def test_a_table_missing_a_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks"):
        HttpErrors({ErrorKind.INVALID: 400}, _body)


def test_domain_errors_get_their_kinds_status_and_overloads_a_whole_retry_after() -> None:
    errors = HttpErrors(TABLE, _body)
    busy = errors.response(Overloaded("queue full", retry_after_s=1.2))
    assert (busy.status_code, busy.headers["retry-after"]) == (429, "2")
    assert orjson.loads(busy.body) == {"message": "queue full", "kind": "overloaded"}
    assert errors.response(Overloaded("soon", retry_after_s=0.01)).headers["retry-after"] == "1"
    late = errors.response(DeadlineExceeded("late"))
    assert late.status_code == 400
    assert "retry-after" not in late.headers
    assert errors.response(NotFound("gone")).status_code == 404


def test_framework_errors_keep_their_status_with_the_kind_the_table_gives_it() -> None:
    errors = HttpErrors(TABLE, _body)
    missing = errors.response(HTTPException(404, "no route"))
    assert orjson.loads(missing.body) == {"message": "no route", "kind": "not_found"}
    too_big = errors.response(HTTPException(413, "too big"))
    assert (too_big.status_code, orjson.loads(too_big.body)["kind"]) == (413, "invalid")
    allowed = errors.response(HTTPException(405, "no", headers={"Allow": "POST"}))
    assert allowed.headers["allow"] == "POST"


def test_anything_else_is_a_logged_500_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="fortress.http.errors"):
        response = HttpErrors(TABLE, _body).response(RuntimeError("secret internals"))
    assert response.status_code == 500
    assert orjson.loads(response.body) == {"message": "internal server error", "kind": "failed"}
    assert "secret internals" not in response.body.decode()
    assert any(record.exc_info for record in caplog.records)


def test_the_gateway_and_the_server_differ_only_where_tf_serving_has_no_422() -> None:
    unusable = Unprocessable("bad value")
    assert GATEWAY.response(unusable).status_code == 422
    assert SERVER.response(unusable).status_code == 400
    assert orjson.loads(GATEWAY.response(unusable).body) == {"error": "bad value", "kind": "unprocessable"}
    assert orjson.loads(SERVER.response(unusable).body) == {"error": "bad value"}
    differing = {k for k in ErrorKind if GATEWAY.status[k] != SERVER.status[k]}
    assert differing == {ErrorKind.UNPROCESSABLE}
