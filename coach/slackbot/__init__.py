"""The Slack bot: a client of the coach API that logs notes and shows briefs and flags in Slack."""
