"""The API and the dashboards use the very same service instances (issue #12).

Two recommenders in one process once meant two bandit caches that learned apart; the services come
from ``container.services`` now, which builds each once.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI, Request

from luna.api.deps import Jobs
from luna.api.routers.admin_learn import Control
from luna.api.routers.recommend import Recommender
from luna.container import Container
from luna.web.context import WebContext


def _provided(app: FastAPI, alias: Any) -> object:
    """What a route parameter annotated with ``alias`` receives on ``app``."""
    depends = get_args(alias)[1]
    return depends.dependency(Request({"type": "http", "app": app}))


def test_one_recommender_serves_the_api_and_the_dashboards(app: FastAPI) -> None:
    container: Container = app.state.container
    web = WebContext(container=container, session_secret="secret")

    recommender = _provided(app, Recommender)

    assert recommender is container.services.recommender is web.services.recommender
    assert _provided(app, Recommender) is recommender


def test_the_job_service_is_built_once(app: FastAPI) -> None:
    container: Container = app.state.container

    jobs = _provided(app, Jobs)

    assert jobs is _provided(app, Jobs) is container.services.jobs
    assert _provided(app, Control) is container.services.learning_control
