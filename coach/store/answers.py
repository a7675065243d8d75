"""Model answers kept in the relational store (table ``llm_answers``), shared by every worker and run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from coach.store.database import Database
from coach.store.schema import LLMAnswerRow


class StoredAnswers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            row = session.get(LLMAnswerRow, key)
            return dict(row.answer) if row is not None else None

    def put(
        self, key: str, prompt: str, version: str, model: str, answer: dict[str, Any], tokens: tuple[int, int]
    ) -> None:
        try:
            with self.db.session(write=True) as session:
                if session.get(LLMAnswerRow, key) is None:
                    session.add(
                        LLMAnswerRow(
                            key=key,
                            prompt=prompt,
                            version=version,
                            model=model,
                            answer=answer,
                            prompt_tokens=tokens[0],
                            completion_tokens=tokens[1],
                            created_at=datetime.now(UTC),
                        )
                    )
                    session.commit()
        except (IntegrityError, OperationalError):  # another worker kept it first, or the store is busy
            pass
