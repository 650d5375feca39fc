"""``/api/v1/admin/prompts``: Luna's prompt file under version control (seed 003 phase 6).

Each save is a new version that Luna answers with from the next question on, kept with its author
(``admin``), the note and an audit entry (``prompt.save``) holding the diff against the version it
replaced. Any version can be made active again (``prompt.activate``), version 0 being the packaged file:
a rollback like that of a fine-tuned adapter. A text that fails the checks (malformed YAML, a missing or
empty text, a changed placeholder) is refused with 400, every problem named by line and key in
``details.problems``, and nothing is kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from luna.api.deps import get_container
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.prompts import (
    PromptDiffOut,
    PromptSaveIn,
    PromptTextOut,
    PromptVersionList,
    PromptVersionOut,
)
from luna.domain.storable import MAX_VERSION
from luna.services.knowledge.prompt_versions import PromptVersionService

router = APIRouter(prefix="/prompts", tags=["prompts"])

#: Who the versions and the audit log name when an operator works through the API.
ADMIN_ACTOR = "admin"


def _service(request: Request) -> PromptVersionService:
    return get_container(request).prompts.service


Version = Annotated[int, Path(ge=0, le=MAX_VERSION, description="A version; 0 is the packaged file")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No such prompt version")}


@router.get("", summary="The prompt versions, newest first, the packaged file (0) last")
def list_versions(request: Request) -> Envelope[PromptVersionList]:
    versions = _service(request).list()
    active = next(v.version for v in versions if v.active)
    out = PromptVersionList(versions=[PromptVersionOut.from_version(v) for v in versions], active=active)
    return ok(out, f"{len(versions)} version(s); Luna answers with version {active}.")


@router.get(
    "/diff",
    summary="The unified diff between two prompt versions",
    responses=_NOT_FOUND,
)
def diff_versions(
    request: Request,
    from_version: Annotated[int, Query(alias="from", ge=0, le=MAX_VERSION, description="The earlier")],
    to_version: Annotated[int, Query(alias="to", ge=0, le=MAX_VERSION, description="The later")],
) -> Envelope[PromptDiffOut]:
    diff = _service(request).diff(from_version, to_version)
    out = PromptDiffOut(from_version=from_version, to_version=to_version, changed=bool(diff), diff=diff)
    return ok(out, "The texts differ." if diff else "The texts are the same.")


@router.get("/{version}", summary="One prompt version with its whole YAML text", responses=_NOT_FOUND)
def get_version(request: Request, version: Version) -> Envelope[PromptTextOut]:
    return ok(PromptTextOut.from_text(_service(request).get(version)))


@router.post(
    "",
    status_code=201,
    summary="Keep a new prompt version; Luna answers with it from the next question on",
    responses={
        400: error_response("The text fails the checks (every problem in details.problems)"),
        409: error_response("The text is the same as the active version"),
    },
)
def save_version(request: Request, body: PromptSaveIn) -> Envelope[PromptVersionOut]:
    kept = _service(request).save(body.text, ADMIN_ACTOR, body.note)
    return ok(PromptVersionOut.from_version(kept), f"Version {kept.version} is kept and active.")


@router.post(
    "/{version}/activate",
    summary="Answer with this version again (0: the packaged file): a rollback or forward",
    responses={**_NOT_FOUND, 409: error_response("The version is active already")},
)
def activate_version(request: Request, version: Version) -> Envelope[PromptVersionOut]:
    active = _service(request).activate(version, ADMIN_ACTOR)
    return ok(PromptVersionOut.from_version(active), f"Luna answers with version {version} now.")
