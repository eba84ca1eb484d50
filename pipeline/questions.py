"""The question bank for an informational interview, per industry and role.

The questions are plain data (pipeline/data/questions.csv: industry, role, topic, question); an
empty industry or role means the question suits any. An industry's questions also go to its
children (a Financial Services question suits Investment Banking); a role's go to any role
that contains its words ("clinical research" suits "senior clinical research associate").
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.rules import ascii_words
from pipeline.data import read_table
from pipeline.industries import resolve_industry, taxonomy

TOPIC_ORDER = ("their path", "the work", "the field", "breaking in", "next steps")


@dataclass(frozen=True)
class Question:
    topic: str
    question: str
    industry: str | None
    role: str | None

    def as_row(self) -> dict[str, str | None]:
        return {
            "topic": self.topic,
            "question": self.question,
            "industry": self.industry,
            "role": self.role,
        }


def question_bank() -> list[Question]:
    """Every question of the shipped bank, in file order."""
    return [
        Question(
            topic=row["topic"].strip(),
            question=row["question"].strip(),
            industry=row["industry"].strip() or None,
            role=row["role"].strip() or None,
        )
        for row in read_table("questions.csv")
    ]


def _words(text: str) -> str:
    return " " + " ".join(ascii_words(text)) + " "


def questions_for(industry: str | None, roles: list[str]) -> list[Question]:
    """The questions for ``industry`` (any name or alias; None: general ones only) and
    ``roles``, grouped by topic in conversation order."""
    wanted: set[str] = set()
    if industry is not None:
        tax = taxonomy()
        chosen = resolve_industry(industry)
        wanted = {chosen.name, *(tax.by_id[i].name for i in tax.ancestors(chosen.id))}
    role_texts = [_words(role) for role in roles]
    picked = [
        q
        for q in question_bank()
        if (q.industry is None or q.industry in wanted)
        and (q.role is None or any(_words(q.role) in text for text in role_texts))
    ]
    order = {topic: n for n, topic in enumerate(TOPIC_ORDER)}
    return sorted(picked, key=lambda q: order.get(q.topic, len(order)))
