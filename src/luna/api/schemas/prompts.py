"""Bodies of ``/api/v1/admin/prompts``: versions of Luna's prompt file, a new version, a diff."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.prompt_versions import MAX_NOTE_CHARS, MAX_PROMPT_CHARS, PromptVersion


class PromptVersionOut(BaseModel):
    version: int = Field(description="From 1; 0 is the prompt file shipped with Luna")
    sha256: str = Field(description="Of the YAML text")
    author: str = Field(description="Who saved it (`luna` for the packaged file)")
    created_at: datetime | None = Field(description="When it was saved; null for the packaged file")
    note: str | None
    active: bool = Field(description="Whether Luna answers with it (exactly one version is active)")
    chars: int = Field(description="Length of the YAML text")

    @classmethod
    def from_version(cls, version: PromptVersion) -> PromptVersionOut:
        return cls(
            version=version.version,
            sha256=version.sha256,
            author=version.author,
            created_at=version.created_at,
            note=version.note,
            active=version.active,
            chars=len(version.text),
        )


class PromptVersionList(BaseModel):
    versions: list[PromptVersionOut] = Field(description="Newest first; the packaged file (0) last")
    active: int = Field(description="The version Luna answers with")


class PromptTextOut(PromptVersionOut):
    text: str = Field(description="The whole YAML text")

    @classmethod
    def from_text(cls, version: PromptVersion) -> PromptTextOut:
        return cls(**PromptVersionOut.from_version(version).model_dump(), text=version.text)


class PromptSaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        description="The whole prompt file as YAML, checked like the packaged one",
    )
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="What changed and why")


class PromptDiffOut(BaseModel):
    from_version: int
    to_version: int
    changed: bool
    diff: str = Field(description="Unified diff of the YAML texts (empty: the same text)")
