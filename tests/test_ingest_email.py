from coach.ingest import read_file
from coach.ingest.common import SourceDefaults
from coach.ingest.threads import split_body
from coach.records import InteractionRecord, Rejection
from coach.store.repository import Repository
from tests.conftest import ingest_path, write

INTERNAL = {"atlasfieldcloud.com"}

REPLY = """\
From: Priya Venkat <pvenkat@harborvine.com>
To: Tomas Reyna <tomas.reyna@atlasfieldcloud.com>
Cc: "Moss, Daniel" <dmoss@harborvine.com>
Subject: RE: checklists outage
Date: Tue, 27 Oct 2026 09:41:12 +0000
Message-ID: <abc123@mail.harborvine.com>
Content-Type: text/plain; charset="utf-8"

Tomás, still waiting on the root cause for the outage.

Priya

Sent from my iPhone

On Wed, 14 Oct 2026 at 16:02, Tomas Reyna <tomas.reyna@atlasfieldcloud.com> wrote:
> Checklists are loading again.
> Tomás
"""

OUTLOOK = """\
Thanks Henrik, I'll have the quote in SEK to you by Thursday.

Best regards,
Lars Wikström
Account Executive | Atlas Field Cloud
+46 70 000 00 00

From: Henrik Aas <henrik.aas@norrlandmed.se>
Sent: Monday, October 5, 2026 8:12 AM
To: Lars Wikström <lars.wikstrom@atlasfieldcloud.com>
Subject: renewal

Lars, can you send the renewal quote in SEK?
"""

FORWARD = """\

---------- Forwarded message ---------
From: Mei Tanaka <mtanaka@pinecrest-util.com>
Date: Mon, 2 Nov 2026 at 08:00
Subject: app battery
To: Imani Okoro <imani.okoro@atlasfieldcloud.com>

Crews are still losing battery by mid-shift. We need a fix before the storms.
"""


def _eml(tmp_path, content, name="m.eml"):
    return write(tmp_path / name, content.encode("utf-8"))


def test_reply_keeps_the_newest_message_and_marks_the_quote_as_earlier(tmp_path):
    (record,) = read_file(
        _eml(tmp_path, REPLY), SourceDefaults(internal_domains=INTERNAL, account="Harbor & Vine")
    )
    assert isinstance(record, InteractionRecord)
    assert record.analysis_text == "Tomás, still waiting on the root cause for the outage.\n\nPriya"
    assert (
        record.quoted_text.startswith("On Wed, 14 Oct 2026")
        and "> Checklists are loading again." in record.quoted_text
    )
    assert "Sent from my iPhone" in record.text and "Sent from my iPhone" not in record.analysis_text
    assert record.kind == "email" and record.subject == "RE: checklists outage"
    assert record.occurred_at.isoformat() == "2026-10-27T09:41:12+00:00"
    sides = {p.email: p.side for p in record.participants}
    assert sides == {
        "pvenkat@harborvine.com": "customer",
        "tomas.reyna@atlasfieldcloud.com": "internal",
        "dmoss@harborvine.com": "customer",
    }
    assert [p.name for p in record.participants][2] == "Moss, Daniel"
    assert record.rep == "Tomas Reyna"
    assert record.source_id.startswith("email-")


def test_outlook_quotes_and_signature_blocks_are_recognised():
    newest, earlier = split_body(OUTLOOK)
    assert newest == "Thanks Henrik, I'll have the quote in SEK to you by Thursday."
    assert earlier.startswith("From: Henrik Aas") and "renewal quote in SEK" in earlier


def test_a_bare_forward_is_read_as_the_forwarded_message():
    newest, earlier = split_body(FORWARD)
    assert newest == "Crews are still losing battery by mid-shift. We need a fix before the storms."
    assert "Forwarded message" in earlier


def test_plain_sig_delimiter_and_mobile_footers_are_cut():
    assert split_body("See you Tuesday.\n-- \nRuth Achebe\nCSM")[0] == "See you Tuesday."
    assert split_body("Approved.\n\nGet Outlook for iOS")[0] == "Approved."
    assert split_body("No quote here at all.") == ("No quote here at all.", None)


def test_html_only_mail_becomes_text(tmp_path):
    html = (
        "From: a@pinecrest-util.com\nTo: imani.okoro@atlasfieldcloud.com\nSubject: hi\n"
        "Date: Mon, 02 Nov 2026 10:00:00 +0100\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><head><style>p{}</style></head><body><p>We approved the <b>pilot</b>.</p><p>Gareth</p></body></html>"
    )
    (record,) = read_file(
        _eml(tmp_path, html), SourceDefaults(account="Pinecrest", internal_domains=INTERNAL)
    )
    assert record.analysis_text == "We approved the pilot.\n\nGareth"
    assert record.occurred_at.isoformat() == "2026-11-02T09:00:00+00:00"


def test_bad_headers_are_rejected_with_the_reason(tmp_path):
    bad_date = REPLY.replace("Tue, 27 Oct 2026 09:41:12 +0000", "yesterday-ish")
    (item,) = read_file(_eml(tmp_path, bad_date), SourceDefaults(account="Harbor & Vine"))
    assert isinstance(item, Rejection) and "Date header 'yesterday-ish'" in item.reason
    (item,) = read_file(
        _eml(tmp_path, "just some words\nno headers here\n", "x.eml"), SourceDefaults(account="A")
    )
    assert isinstance(item, Rejection)


def test_the_account_is_found_from_the_customer_domain_or_asked_for(tmp_path, pipeline, workspace):
    path = _eml(tmp_path, REPLY)
    (item,) = read_file(path, pipeline.defaults())
    assert isinstance(item, Rejection) and "--account" in item.reason
    ingest_path(pipeline, path, account="Harbor & Vine Hospitality")
    later = REPLY.replace("abc123", "def456").replace("still waiting", "thanks for")
    report = ingest_path(pipeline, _eml(tmp_path, later, "later.eml"))
    assert len(report.added) == 1, report.rejected
    with workspace.db.session() as session:
        summary = Repository(session).account_summaries()
    assert [(s.name, s.interactions) for s in summary] == [("Harbor & Vine Hospitality", 2)]


def test_mbox_messages_go_in_one_by_one_and_a_broken_one_is_named_by_line(tmp_path, pipeline, workspace):
    second = REPLY.replace("abc123", "zz9").replace("09:41:12", "11:00:00").replace("still waiting", "got it")
    broken = "From: nobody\nDate: not a date at all\nSubject: x\n\nbody\n"
    mbox = (
        "From pvenkat@harborvine.com Tue Oct 27 09:41:12 2026\n" + REPLY + "\n"
        "From pvenkat@harborvine.com Tue Oct 27 11:00:00 2026\n" + second.replace("\n>", "\n>>") + "\n"
        "From x@y Tue Oct 27 12:00:00 2026\n" + broken
    )
    path = write(tmp_path / "box.mbox", mbox)
    report = ingest_path(pipeline, path, account="Harbor & Vine Hospitality")
    assert len(report.added) == 2
    (rejection,) = report.rejected
    first_line_of_broken = mbox.split("\n").index("From x@y Tue Oct 27 12:00:00 2026") + 1
    assert rejection.origin == f"{path}:{first_line_of_broken}"
    again = ingest_path(pipeline, path, account="Harbor & Vine Hospitality")
    assert len(again.unchanged) == 2 and not again.added


def test_an_unknown_charset_does_not_lose_the_message(tmp_path):
    weird = REPLY.replace('charset="utf-8"', 'charset="x-unknown-42"')
    (record,) = read_file(_eml(tmp_path, weird), SourceDefaults(account="Harbor & Vine"))
    assert isinstance(record, InteractionRecord)
    assert "root cause" in record.analysis_text
