"""Understanding one interaction: facts with character spans, from the offline or the LLM extractor."""
