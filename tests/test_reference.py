"""The reference pages are what the code generates (regenerate: python -m conformance.tools.reference), and
every option of the pytest plugin is described in the options page's hand-written part."""
import re

from conformance.tools import reference


def test_the_options_page_is_current():
    path = reference.DOCS / "options.md"
    assert path.read_text(encoding="utf-8") == reference.options_page(path.read_text(encoding="utf-8")), \
        f"{path} is stale: run {reference.COMMAND}"


def test_the_catalogue_page_is_current():
    path = reference.DOCS / "catalogue.md"
    assert path.read_text(encoding="utf-8") == reference.catalogue_page(), f"{path} is stale: run {reference.COMMAND}"


def test_every_plugin_option_is_described_in_detail():
    """Each option (by either spelling) has a paragraph of its own after the generated tables."""
    text = (reference.DOCS / "options.md").read_text(encoding="utf-8")
    described = set(re.findall(r"\*\*`(-[-\w]+)", text[text.index(reference.END):]))

    def spellings(option: str) -> set[str]:
        stem = option.removeprefix("--conformance-").removeprefix("--")
        return {f"--{stem}", f"--conformance-{stem}"}

    options = [re.search(r"`(-[-\w]+)`", row[0]).group(1) for row in reference.plugin_rows()]
    missing = [o for o in options if not spellings(o) & described]
    assert not missing, f"options without a description in docs/reference/options.md: {missing}"
