"""``GET /api/v1/help/context`` and ``GET /api/v1/help/routes``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from luna.domain.help import HelpRoute, HelpText


class HelpTextOut(BaseModel):
    route: str = Field(examples=["/energy"])
    title: str = Field(description="German title of the view", examples=["Smart-Meter"])
    text: str = Field(
        description="German help: the view's purpose, then (when generated) what the knowledge base says, "
        "with [chunk <id>] citations"
    )
    sources: list[str] = Field(description="Chunk IDs the text cites (empty for the written fallback)")
    generated: bool = Field(description="True when Luna wrote the text; false for the written fallback")
    model_version: str | None = Field(
        description="Chat model | embedding model | knowledge-base digest | route wording of a generated text"
    )
    created_at: datetime | None = Field(description="When the generated text was written")
    fallback_reason: str | None = Field(
        description="Why the fallback was served: disabled, empty_knowledge_base, no_relevant_content, "
        "model_unavailable, busy"
    )

    @classmethod
    def from_text(cls, text: HelpText) -> HelpTextOut:
        return cls(
            route=text.route,
            title=text.title,
            text=text.text,
            sources=text.sources,
            generated=text.generated,
            model_version=text.model_version,
            created_at=text.created_at,
            fallback_reason=text.fallback_reason,
        )


class HelpRouteOut(BaseModel):
    route: str
    title: str
    audience: str = Field(description="customer or admin: which dashboard shows the route")
    purpose: str = Field(description="The German sentence every help text of the route starts with")

    @classmethod
    def from_route(cls, route: HelpRoute) -> HelpRouteOut:
        return cls(route=route.route, title=route.title, audience=route.audience.value, purpose=route.purpose)


class HelpRoutesOut(BaseModel):
    routes: list[HelpRouteOut]
