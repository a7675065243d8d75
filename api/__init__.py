"""The coach's HTTP side: the JSON API, the reps' web form and the Slack endpoints (built by ``create_app``)."""
