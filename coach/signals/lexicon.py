"""Cue lexicons of the offline extractor: general B2B account-management language.

Written from the definitions in the playbook (knowledge/), not from any labelled
set. Each pattern is a regular expression matched case-insensitively on one
sentence; weights say how much a cue counts toward a strategic reading.
"""

from __future__ import annotations

import re


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# --- what the customer raised -------------------------------------------------------------
COMPLAINT = _rx(
    r"\b(problem|issue|complain\w*|frustrat\w*|unhappy|disappoint\w*|concern\w*|worr(y|ied|ies)|pain)\b",
    r"\bway off\b",
    r"\boff by\b",
    r"\b(wrong|broken|stale|inaccurate|unreliable|annoy\w*|unacceptable|not acceptable|not sustainable)\b",
    r"\bisn'?t sustainable\b",
    r"\bignores?\b",
    r"\bkeeps? (failing|tripping|dropping|crashing|throwing|breaking|going)\b",
    r"\bwait(ed|ing)? (weeks|days|months)\b",
    r"\b(drowning|swamped|fed up)\b",
    r"\bmissing\b",
    r"\blate\b",
    r"\bdelay(ed|s)?\b",
    r"\bslow\b",
    r"\bfail(ed|s|ing|ure)\b",
    r"\bfined\b",
    r"\bpenalt(y|ies)\b",
    r"\bby hand\b",
    r"\bmanual(ly)? work\w*",
    r"\bcuts? off\b",
    r"\btruncat\w*",
    r"\bstop(ped)? trusting\b",
    r"\bdon'?t trust\b",
    r"\bwon'?t use\b",
    r"\bcan'?t (use|take on|bring|get)\b",
    r"\bnot working\b",
    r"\bdoesn'?t (work|map|match)\b",
    r"\bdon'?t map\b",
    r"\bisn'?t (clean|working|right)\b",
    r"\bit isn'?t\b",
    r"\bcan'?t take on\b",
    r"\bgap\b",
    r"\bblock(ed|er|ing)\b",
    r"\bshort on\b",
    r"\bhas to (get|be) fixed\b",
    r"\bcosts? us\b",
    r"\bhurt(s|ing)?\b",
    r"\brisk\b",
)
REQUEST = _rx(
    r"\basked (him |her |them |us )?(for|about|whether|if|that|how|why|what|when)\b",
    r"\basks? (for|about|whether|if|that)\b",
    r"\b(wants?|wanted|needs?|needed|would like|'d like|'d want|requests?|requested)\b",
    r"\bcan (you|we|this|it|your)\b",
    r"\bcould (you|we|this)\b",
    r"\bis (there|a|an) .{0,40} on your roadmap\b",
    r"\bwill you\b",
    r"\bhelp (us|with)\b",
    r"\bwants? to know\b",
    r"\bbring me\b",
    r"\bsend (me|us)\b",
    r"\bwho (carries|pays|owns)\b",
    r"\bdoes (your|our) .{0,30} do\b",
    r"\bplease\b",
)
NOT_A_PROBLEM = _rx(
    r"\bno (complaints?|asks?|issues?|problems?|concerns?)\b",
    r"\bnothing (new|blocking|to decide)\b",
    r"\ball (good|fine|green)\b",
    r"\blooks fine\b",
    r"\bif .{0,60}\bever\b",
    r"\bnever happened\b",
    r"\bhappy\b",
    r"\bthanks?( you)?\b.{0,20}$",
    r"\bno (real )?discussion\b",
)
RECALLED = _rx(
    r"\b(didn'?t|did not|never) get to\b.{0,80}\b(raised|question|ask|issue|problem)\b",
    r"\bstill (open|waiting|no answer)\b",
)

# Not a problem raised now: a condition that has not happened ("if we ever lost both pumps ...").
HYPOTHETICAL = _rx(
    r"\bif .{0,60}\bever\b",
    r"\bwhat if\b",
    r"\bin case\b",
    r"\bhypothetic\w*\b",
    r"\bsuppose\b",
    r"\bhasn'?t happened\b",
    r"\bnever happened\b",
)
# A recap of a list or its counts ("10 open, 1 closed", "went through the open items"): a status, not an act.
RECAP = _rx(
    r"\b\d+ (open|closed|resolved|done|pending|outstanding)\b",
    r"\b(open|closed|resolved)[- ]?(items?|tickets?|points?|actions?)\b",
    r"\b(went|go|going|ran|walked) (through|over) the\b",
    r"\b(list|tracker|log|register)\b.{0,30}\b(again|as usual|same)\b",
    r"\bstatus( line| update|:)",
    r"\b\d+ of \d+ (done|closed|complete|resolved)\b",
)

# --- how we answered ----------------------------------------------------------------------
FIXED = _rx(
    r"\b(fixed|resolved|closed|configured|patched|rotated|retrained|restored|reran|re-ran|delivered|shipped|"
    r"deployed|implemented|corrected|sorted|done)\b",
    r"\b(changed|replaced|reset|cleaned|rebooted|swapped|installed|repaired|credited|refunded|adjusted|"
    r"updated|enabled|disabled|removed|re-?configured|re-?routed|unblocked|cleared)\b",
    r"\b(is|are|now) (clear|running|working|live|back)\b",
    r"\b(credit (memo|note)|went live|in service)\b",
    r"\bis now\b",
    r"\bnow (tolerates|works|handles|at)\b",
    r"\b(training|session|workshop) (done|held|delivered)\b",
    r"\bback (up|online|on)\b",
    r"\broot cause\b",
    r"^\s*met\b",
    r"\bintro(duced)? (via|by)\b",
    r"\bwe met\b",
)
ANSWERED = _rx(
    r"^\s*answered\b",
    r"\b(yes|no),\s",
    r"\(yes\b",
    r"\bit exists\b",
    r"\bit'?s a setting\b",
    r"\bshowed (him|her|them)\b",
    r"\bturns out\b",
    r"\bwe already\b",
    r"\bexplained\b",
    r"\bagreed\b",
    r"\bwalked \w+ through\b",
    r"\b(pitched|proposed|offered)\b",
    r"\b(sent|shared|provided)\b",
    r"\bper \w+'s (ask|request)\b",
    r"\bas (requested|asked)\b",
    r"\b(sent|shared) (him|her|them)\b",
    r"\bcan do\b",
    r"\binvite sent\b",
)
VAGUE = _rx(
    r"\blook into it\b",
    r"\bget back to (you|them|him|her)\b",
    r"\b(i|we)'?d check\b",
    r"\b(i'll|we'll|will) check\b",
    r"\bsaid (i|we|she|he)'?d check\b",
    r"\bcheck with\b",
    r"\bpass(ed)? it on\b",
    r"\bflag it\b",
    r"\bwill flag\b",
    r"\blog it\b",
    r"\bask around\b",
    r"\bparked\b",
    r"\bdig in\b",
    r"\btouch base\b",
    r"\bcircle back\b",
    r"\bnext time\b",
    r"\bwill cover\b",
    r"\bcover it (at|in|next)\b",
    r"\btake it offline\b",
    r"\bnoted\b",
    r"\bkeep (you|it) posted\b",
    r"\blet you know\b",
    r"\bsee what (i|we) can do\b",
    r"\bthink about it\b",
    r"\bnot to worry\b",
    r"\bgood idea\b",
    r"\btake it to (product|engineering|the team|support)\b",
    r"\blooking (at|into) it\b",
    r"\bwould look into\b",
    r"\b(i|we)('d|'ll| would| will| can| could)? look (into|at)\b",
    r"\b(i|we)'?d (ask|mention|raise|flag)\b",
    r"\b(will|'ll|'d|would) (ask|mention it|raise it|flag it|pass it|find out|follow up)\b",
    r"\bpass(ed|ing)? (it|this|that|them)( on| along)? (on|along|to)\b",
    r"\bpass(ed|ing)? (it|this|that) (on|along)\b",
    r"\b(forward(ed|ing)?|handed|sent) (it|this|that) (on|over)? ?to (our|the) \w+ team\b",
    r"\b(we'?ll|we will|i'?ll|i will) (set something up|sort something out|see)\b",
    r"\bto follow\b",
    r"\bno promises\b",
    r"\bdig (one|it|something) up\b",
)
OWNER_MARK = _rx(
    r"\bowner\s*:?",
    r"\bowns?\b",
    r"\bI own\b",
    r"\bto (send|draft|build|set up|deliver|fix|share|book|schedule|"
    r"provide|run|write|prepare|handle|resend|check)\b",
    r"\b(I|we) (send|will send|'ll send|deliver|'ll deliver)\b",
    r"\bassigned\b",
    r"\bbooked\b",
    r"\byou'?ll have\b",
    r"\bwill do\b",
    r"\bI'?ll (bring|send|share|set up|book|deliver|draft|prepare|schedule)\b",
)
DATE_MARK = _rx(
    r"\b(?!24/7\b)\d{1,2}/\d{1,2}(/\d{2,4})?\b",
    r"\bby \d{1,2} \d{1,2}\b",  # dictated: "by 6 26"
    r"\bby (mon|tues|wednes|thurs|fri|satur|sun)day\b",
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b",
    r"\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b",
    r"\btoday\b",
    r"\btomorrow\b",
    r"\bthis week\b",
    r"\bnext week\b",
    r"\bnext (two|2|few) weeks\b",
    r"\bby (end of|eow|eod|q[1-4])\b",
    r"\b\d{1,2}(am|pm)\b",
    r"\b\d{1,2}:\d{2}\b",
)

# --- decisions, outcomes and meeting form -------------------------------------------------
DECISION = _rx(
    r"^\s*decisions?\s*:",
    r"^\s*agreed\s*:",
    r"\bdecided\b",
    r"\bwe agreed\b",
    r"\bsigned off\b",
    r"\bapproved\b",
    # spoken decisions in transcripts
    r"\b(let's|let us) (go with|go for|stick with|settle on)\b",
    r"\bwe('ll| will| are going to|'re going to) (go with|go for|stick with)\b",
    r"\b(it'?s|it is) (decided|agreed)\b",
    r"\bwe (all )?agree (on|that|to)\b",
    r"\bwe('ve| have) (decided|agreed)\b",
    r"\bshall we (make the decision|decide|agree|go (with|for))\b",
    r"\bwe('ll| will) go for\b",
    r"\bwe('re| are) (gonna|going to) (have|use|go with|go for|include|stick with|make it)\b",
    r"\bwe should (go with|go for|stick with|include|use)\b",
    r"\bthe decision (is|was) (to|that)\b",
)
# Actions people take on in a meeting (with or without a date): who will do what.
ACTION = _rx(
    r"\b(I'll|I will|you'll|you will|he'll|she'll|we'll|we will|they'll) (work on|look at|look into|do|prepare|send|make|draw|"
    r"check|find|bring|write|present|research|design|investigate|email|call|talk to|set up|draft|build)\b",
    r"\b(action|task|homework)s? (for|is|are)\b",
    r"\byour (job|task) (is|will be)\b",
    r"\bnext time (I|you|we)\b",
    r"\b(you're|you are|you'll be|you will be) (gonna |going to )?(be )?(work|working|think|thinking|look|looking|do|doing|"
    r"prepar\w+|present\w*|research\w*|focus\w*) (on|about|at|into)\b",
    r"\bfor (the )?next (meeting|session|time)\b",
    r"\b(I'm|I am) (gonna|going to) (send|put|email|prepare|do|work|look|write|make|draw|bring|present|check)\b",
    r"\b(my|your|his|her|our) (task|job|homework|assignment)s?\b",
)
DEFERRED = _rx(
    r"\bdeferred\b", r"\bpostponed\b", r"\bpushed (to|back)\b", r"\bstill with\b", r"\bno decision\b"
)
NO_OUTCOME = _rx(
    r"\bno decisions?\b",
    r"\bnothing (to decide|decided)\b",
    r"\bno actions?\b",
    r"\bno change\b",
    r"\bno decisions? needed\b",
    r"\bsame (agenda|list|format|as last time)\b",
)
FORM_FAILURE = _rx(
    r"\bran (over|long|a bit long)\b", r"\boverr?an\b", r"\bran out of time\b", r"\btoo long\b"
)
# The meeting had a real purpose that it failed to reach: the agenda item that mattered, or the person who decides.
PURPOSE_MISSED = _rx(
    r"\b(didn'?t|did not|never) (get|got) to\b",
    r"\bnot reached\b",
    r"\bskipped\b",
    r"\bpushed to next\b",
    r"\bdeclined\b",
    r"\bdropped (off|for)\b",
    r"\bno real discussion\b",
    r"\bdeferred (again|to)\b",
)
READOUT = _rx(
    r"\b(walked|went|read) (through|thru)\b",
    r"\bread-?(out|through)\b",
    r"\bticket (list|review|walk)",
    r"\bwalked the\b",
    r"\bstatus (page|update)\b",
    r"\btracker\b",
    r"\bslides? \d",
    r"\busage deck\b",
    r"\b(ran|walked through) the (usage )?deck\b",
    r"\bsame as (what|last)\b",
    r"\bopen tickets\b",
    r"\btickets?:\s*\d",
    r"\buptime\b",
)

# --- strategic and tactical topics --------------------------------------------------------
STRATEGIC = {
    "goals": (
        _rx(
            r"\b(goals?|targets?|priorit(y|ies)|objectives?|success metric|what does success look like|kpi)\b",
            r"\bboard (wants|watches|approved|pack|pressure)\b",
            r"\b-\s?\d+% .{0,20}\bby\b",
        ),
        1.0,
    ),
    "future_needs": (
        _rx(
            r"\b(plans?|planning) (a|to|for)\b",
            r"\bnetwork (plan|case|design|strategy|level)\b",
            r"\bscenarios?\b",
            r"\b(weighing|considering|evaluating) (a|an|whether|options)\b",
            r"\binstead of (building|buying)\b",
            r"\bcapacity\b",
            r"\bexpan(d|sion)\b",
            r"\bacqui(re|sition)\b",
            r"\bnew (plant|site|dc|market|region|stores?|line|business)\b",
            r"\bopen(s|ing)? \d+ (new )?stores\b",
            r"\bbidding\b",
            r"\bgrowth\b",
            r"\bconsolidat\w+\b",
            r"\blaunch(ing|es)?\b",
            r"\bwhat they need next\b",
            r"\bfuture\b",
        ),
        1.0,
    ),
    "multi_year_plan": (
        _rx(
            r"\b(\d|two|three|four|five)[- ](yr|year)s?\b",
            r"\bmulti-?year\b",
            r"\bby 20\d\d\b",
            r"\b20\d\d[–-]20\d\d\b",
            r"\bnext year\b",
            r"\blong[- ]term\b",
            r"\broadmap for\b",
        ),
        1.0,
    ),
    "decision_process": (
        _rx(
            r"\bwho (decides|signs|owns the decision)\b",
            r"\b(signs|sign-off|approves)\b",
            r"\bgoes through\b",
            r"\bbudget (cycle|lock|freezes?|owner|approval|holder)\b",
            r"\bbudget\b.{0,20}\bfreez\w*\b",
            r"\beconomic buyer\b",
            r"\bnot my call\b",
            r"\bdecision (maker|process)\b",
            r"\bneeds? .{0,20}\b(cfo|coo|ceo)\b",
        ),
        1.0,
    ),
    "executive_alignment": (
        _rx(
            r"\b(exec(utive)?|c-level|board)[- ](meeting|review|sponsor|cadence|level|mtg)\b",
            r"\bmeet twice a year\b",
            r"\bsponsors?\b",
            r"\bquarterly exec\b",
            r"\bexec mtg\b",
        ),
        1.0,
    ),
    "value": (
        _rx(
            r"\bbusiness case\b",
            r"\bvalue (analysis|delivered|vs|against|proven)\b",
            r"\broi\b",
            r"\bworking capital\b",
            r"\bsavings?\b",
            r"\bbenefit\b",
            r"\bvs (the )?(goal|target|control)\b",
            r"\bannualised\b|\bannualized\b",
            r"\bwhat (do|does|did) (we|they|it) (actually )?get (out of|from)\b",
        ),
        1.0,
    ),
    "widening": (
        _rx(
            r"\bfirst time\b",
            r"\bintro(duction)?\b",
            r"\bjoined (for the first|the council|going forward)\b",
            r"\bmet .{0,40}\((head|vp|chief|director|cfo|ceo|coo|cio|cto)",
            r"\bnew stakeholder\b",
            r"\b(joins|join) the (council|committee|steering)\b",
            r"\bwiden\w*\b",
        ),
        1.0,
    ),
    "competitive_threat": (
        _rx(
            r"\bpilot\b.{0,60}\b(rival|competitor|cheaper)\b",
            r"\bcompetit\w+\b",
            r"\brival\b",
            r"\bbenchmark vs\b",
            r"\bhead-to-head\b",
            r"\bside-by-side\b",
        ),
        1.0,
    ),
    "account_plan": (
        _rx(
            r"\b(joint|account) (account )?plan\b",
            r"\bjoint (business )?case\b",
            r"\bpoc\b",
            r"\bpilot\b",
            r"\bphase \d\b",
            r"\brollout\b",
        ),
        0.6,
    ),
}
TACTICAL = {
    "admin": _rx(
        r"\binvoice\w*\b",
        r"\bsow\b",
        r"\bfixed fee\b",
        r"\bredlines?\b",
        r"\bmsa\b",
        r"\bpo( number)?\b",
        r"\bpaperwork\b",
        r"\bw-9\b",
        r"\bcoi\b",
        r"\bremittance\b",
        r"\bap portal\b",
        r"\bbill(ing)?\b",
        r"\bvendor (mgmt|management|portal)\b",
        r"\bdocusign\b",
        r"\border form\b",
        r"\bentity\b",
        r"\bcurrency|\beur or\b",
    ),
    "pricing": _rx(
        r"\bdiscount\w*\b",
        r"\b\d+% off\b",
        r"\btrue-?up\b",
        r"\bquote\b",
        r"\buplift\b",
        r"\bprice hold\b",
        r"\blist (price|is)\b",
        r"\bco-?term\w*\b",
    ),
    "support": _rx(
        r"\btickets?\b",
        r"\bescalat\w+\b",
        r"\boutage\b",
        r"\bincident\b",
        r"\bp[1-4]\b",
        r"\bfailed\b",
        r"\broot cause\b",
        r"\bsftp\b",
        r"\bcreds?\b|\bcredentials?\b",
        r"\bsso\b",
        r"\bbug\b",
    ),
    "status": _rx(
        r"\bstatus\b",
        r"\bstand-?up\b",
        r"\btracker\b",
        r"\bgo-?live\b",
        r"\buat\b",
        r"\bon track\b",
        r"\bdata mapping\b",
        r"\bloaded\b",
        r"\bnightly (run|load|batch)\b",
        r"\bstage \d\b",
        r"\bno change\b",
    ),
    "usage_report": _rx(
        r"\busage\b",
        r"\bdashboards?\b",
        r"\blogins?\b",
        r"\bactive users\b",
        r"\bnps\b",
        r"\bdeck\b",
        r"\bslides?\b",
        r"\bexport\b",
        r"\breport pack\b",
        r"\baccuracy\b",
    ),
    "demo": _rx(r"\bdemo\w*\b", r"\bwalkthrough\b"),
    "scheduling": _rx(
        r"\bcalendar (hold|invite)\b", r"\bmoved (from|to)\b", r"\breschedul\w+\b", r"\bdate tbd\b"
    ),
    "check_in": _rx(
        r"\bcheck(ing)? in\b",
        r"\btouch base\b",
        r"\bkeep (it|them) warm\b",
        r"\bjust checking\b",
        r"\bhope .{0,20} (well|treating you)\b",
        r"\bnothing new\b",
        r"\bno asks\b",
    ),
    "technical": _rx(
        r"\bapi\b",
        r"\boauth\b",
        r"\brate limit\b",
        r"\ballow-?list\b",
        r"\bintegration\b",
        r"\bschema\b",
        r"\bparser\b",
        r"\bbatch\b",
        r"\bfeeds?\b",
    ),
}

# --- relationship risks -------------------------------------------------------------------
VAGUE_NEXT_STEP = _rx(
    r"\bcheck(ing)? in\b",
    r"\btouch base\b",
    r"\bkeep (it|them) warm\b",
    r"\bcircle back\b",
    r"\bjust checking\b",
    r"\bstay in touch\b",
    r"\bcatch up (soon|again)\b",
)
RENEWAL_ASSUMED = _rx(
    r"\balways renew\b",
    r"\b(is|it's|it is|just) (just )?a formality\b",
    r"\bformality\b",
    r"\brenewal (is|should be|will be) (fine|safe|a formality|a given|easy)\b",
    r"\brenewal should be fine\b",
    r"\blow risk\b",
    r"\bno need for (exec|executive)\b",
    r"\bin the bag\b",
    r"\bsafe (renewal|bet)\b",
    r"\bauto-?renew\b",
    r"\bno churn\b",
    r"\bwon'?t (churn|leave)\b",
)
TENURE = _rx(
    r"\b(with us|customer|on \w+) since (19|20)\d\d\b",
    r"\blong(est)?[- ]tenured\b",
    r"\bsince (19|20)\d\d\b",
    r"\bfor (\d+|many|years)\s+years\b",
    r"\blong-?standing\b",
)
DATA_REPORTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bdashboards?\b.{0,20}\b(pack|export)\b|\b(pack|export)\b.{0,20}\bdashboards?\b",
        r"\busage\b",
        r"\bactive users\b",
        r"\blogins?\b",
        r"\bslides? \d",
        r"\bdeck\b",
        r"\b\d+ pages\b",
        r"\btop \d+ (items|products|sites|assets|issues)\b",
        r"\bnps\b",
        r"\b(attached|sent|here is) the .{0,40}\b(dashboard|report|deck|pack)\b",
        r"\b(dashboard|report|deck|pack)\b.{0,15}\battached\b",
        r"\bslides?\b",
    )
]
# What a report read-out is read from: a report, dashboard, deck or pack, not a ticket list or a status line.
REPORT_ARTIFACT = _rx(
    r"\b(dashboards?|reports?|pdfs?|decks?|slides?|usage|kpis?|metrics|scorecards?|packs?|charts?|graphs?|"
    r"analytics|trend lines?|spreadsheets?)\b",
    r"\b\d+ pages?\b",
    r"\b\d+[- ]page\b",
    r"\b\d+(\.\d+)?\s?%.*\d",  # a line of figures: a rate and more numbers
)
RENEWAL_TOPIC = _rx(r"\b(renew\w*|contract|churn|formality|tenure|since (19|20)\d\d)\b")
DATA_REPORT = re.compile("|".join(f"(?:{p.pattern})" for p in DATA_REPORTS), re.IGNORECASE)
FIREFIGHTING = _rx(
    r"\bescalat\w+\b",
    r"\boutage\b",
    r"\bincident\b",
    r"\bp1\b",
    r"\bp2\b",
    r"\bfailed\b",
    r"\broot cause\b",
    r"\bwent down\b",
    r"\bnot refreshed\b|\bwasn'?t refreshed\b",
    r"\bhas to get fixed\b",
    r"\bemergency\b",
    r"\bbroken\b",
    r"\b(went|is|was|goes) down\b",
    r"\btrip(s|ped)\b",
    r"\burgent\w*\b",
)
PENDING = _rx(
    r"\brenewal\b",
    r"\bsow\b",
    r"\bproposal\b",
    r"\bcontract\b",
    r"\bquote\b",
    r"\bdeal\b",
    r"\bsignature\b",
    r"\bdocusign\b",
    r"\bpurchase order\b",
    r"\bpending\b",
    r"\bbudget\b",
)

# --- competitors --------------------------------------------------------------------------
COMPETITIVE_CONTEXT = _rx(
    r"\bpilot\w*\b",
    r"\bbenchmark\w*\b",
    r"\btrial\w*\b",
    r"\bevaluat\w+\b",
    r"\brfp\b",
    r"\bshortlist\w*\b",
    r"\bcheaper\b",
    r"\bswitch\w*\b",
    r"\bcompetit\w+\b",
    r"\brival\b",
    r"\bvs\.?\b",
    r"\bhad .{1,40} in\b",
    r"\bdropped\b",
    r"\breplace\w*\b",
    r"\balternatives?\b",
)
OUR_OFFER = _rx(r"\b(add-?on|module|feature|release)\b", r"\b(pitched|offered|demoed|sold)\b")
COMPETITOR_PAST = _rx(
    r"\bdropped\b",
    r"\bback in (19|20)\d\d\b",
    r"\bused to\b",
    r"\bformer(ly)?\b",
    r"\bpreviously\b",
    r"\breplaced\b",
    r"\bstalled\b",
    r"\bin (19|20)\d\d\b",
)
COMPETITOR_HEARSAY = _rx(
    r"\bconference\b",
    r"\bheard\b",
    r"\brumou?rs?\b",
    r"\beveryone .{0,30} talking\b",
    r"\bvaporware\b",
    r"\bnot (something )?(they'?re|we'?re|they are) looking at\b",
    r"\bno interest\b",
    r"\bdismiss\w*\b",
    r"\bnot looking at\b",
)
ORG_SUFFIX = re.compile(
    r"\b(analytics|demand|software|systems|labs|technologies|tech|solutions|ai|cloud|inc|ltd|gmbh|corp)\b",
    re.IGNORECASE,
)

EXECUTIVE_TITLE = _rx(
    r"\b(chief|ceo|cfo|coo|cio|cto|cmo|cro|president|founder|owner|managing director|general manager|"
    r"evp|svp|vp|vice president|head of)\b"
)
SENIOR_TITLE = _rx(r"\b(director|head)\b")
MANAGER_TITLE = _rx(r"\b(manager|lead|gm)\b")
