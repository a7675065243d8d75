"""Meeting prep briefs: one cited page per meeting, offline or LLM-written, within a token budget."""

from coach.briefs.assemble import BriefRequest
from coach.briefs.model import PrepBrief
from coach.briefs.service import BriefService

__all__ = ["BriefRequest", "BriefService", "PrepBrief"]
