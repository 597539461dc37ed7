"""The SayPro preset's suggested Urgency Level: its documents' levels and issues as rules.

Pure. The User Support Interaction Log Template names the levels: High ("critical issues
preventing the user from completing a transaction"), Medium ("minor issues affecting the
user experience but not preventing core functionality") and Low ("general inquiries or
non-urgent questions"); its sample entry, "Unable to log into the account. Password reset
not working.", is High. SayPro User Support Management adds "Prioritize critical issues,
such as payment failures and account suspensions, to be addressed immediately"; the
messaging issue resolution document escalates "a security breach, phishing attempt, or
fraud" immediately, and an issue that is "widespread (affecting multiple users)" to the
technical team. The documents' areas (account access, payments and transactions, listings,
messaging, security) give the words; the Category a person chose is the issue type.

As for the guide, a request or a question with no problem in it comes first (Low), and so
does polish (a typo, a colour), which the template's Medium covers ("minor issues affecting
the user experience"), so that a ticket merely mentioning "payment failed" or "suspended"
is not High.
"""

from __future__ import annotations

from sheetsync.core.triage_rules import PriorityRule
from sheetsync.core.triage_words import COSMETIC, HYPOTHETICAL, PROBLEM, QUESTION, REQUEST

#: The template's High: "critical issues preventing the user from completing a transaction".
CANNOT_TRANSACT = (
    "cannot buy", "cannot purchase", "cannot complete purchase", "cannot finish buying",
    "cannot place order", "cannot order", "cannot checkout", "cannot continue",
    "cannot proceed", "cannot pay", "checkout+fails|failing|blank|error|not|stuck|crashes|"
    "empties|kicked out", "cart+empties|not|nothing", "buy now button missing",
    "place order+nothing|not working", "listing unavailable", "no longer available",
    "sold out though", "pay now+spins|spinning|forever", "add to cart does nothing",
    "listings disappeared", "all listings", "buyers cannot",
)
#: The template's sample: "Unable to log into the account. Password reset not working."
NO_ACCESS = (
    "cannot login", "login+not|fails|failing|failed|error|invalid|incorrect", "locked out",
    "password reset+not|expired|blank|old address", "reset link+not|expired|blank",
    "cannot access account", "cannot get into|cannot get in+account", "cannot access",
    "incorrect password", "invalid credentials", "user not found", "account disabled",
    "too many attempts", "otp+not|never", "code going to old number", "account locked",
    "password not accepted", "verification code|login code|sms code+not|never",
    "stuck outside account", "not sign in", "bouncing to login",
)
#: SayPro User Support Management: "payment failures and account suspensions".
PAYMENT_OR_SUSPENSION = (
    "suspended", "suspension notice", "banned", "ban", "deactivated", "account restricted",
    "payouts frozen", "flagged for suspicious",
    "payment|payments+failed|fails|failing|failure|declined|unsuccessful|not through|error|"
    "keeps failing",
    "declined", "charged twice", "double charged", "charged+instead of", "taken twice",
    "money deducted", "deducted", "money gone", "money not returned", "money is off",
    "refund|refunds+not|still|outstanding|nothing|promised", "payout|payouts+not|reversed|"
    "failed|short|nothing|did not come",
    "not paid", "not get paid", "not received payout", "not received payment",
    "withdrawal failed", "withdrawal+failed", "transaction stuck", "transaction could not",
    "could not be processed", "balance now shows r0", "awaiting payment", "gateway",
    "order never created", "payment went through+not|never", "payment bounced",
    "money taken", "debited+not|but", "payment+not reflecting",
)
#: The messaging document's "security breach, phishing attempt, or fraud".
SECURITY = (
    "phishing", "fraud", "fraudulent", "scam", "scammed", "hacked", "hacking", "hack",
    "unauthorised", "unauthorized", "stolen card", "fake listing", "fake message",
    "pretending", "asking for their passwords", "asking for passwords", "banking pin",
    "card details", "asks for otp", "someone logged", "someone accessed", "someone changed",
    "changed without", "without his knowledge", "without her knowledge", "she did not do it",
    "he did not do it", "never requested", "data leak", "leak", "visible to another user",
    "other users", "other buyers", "security issue", "security breach", "off platform",
    "outside payment", "reactivation fee", "withdrawn from", "compromised", "stolen",
    "not me", "not done by",
)
#: The messaging document's "widespread (affecting multiple users)"; the User Support and
#: Troubleshooting document's "server crashes".
WIDESPREAD = (
    "multiple users", "many users", "all users", "lots of users", "several sellers",
    "multiple sellers", "all sellers", "all buyers", "every user", "everyone", "nobody",
    "no one", "platform wide", "platform down", "site down", "whole platform",
    "platform offline", "server crash", "outage", "widespread", "down for", "downdetector",
    "all android", "everywhere",
)
#: A problem in the SayPro documents' words: not a request or a question, however phrased.
TROUBLE = PROBLEM + (
    "not appearing", "pending approval", "rejected", "damaged", "wrong item", "unsolicited",
    "restricted", "unreadable", "suspended", "banned", "deactivated", "locked out",
)
#: The template's Medium, as its issues are logged: anything not working as it should.
MINOR = TROUBLE + (
    "flagged", "dispute", "return", "spam", "blocked", "overlap", "cut off", "pixelated",
    "flicker",
)

#: The SayPro documents' Urgency Levels, as their words are logged, in the order tried.
SAYPRO_GUIDELINES: tuple[PriorityRule, ...] = (
    PriorityRule(priority="Low", reason="New feature requests", phrases=REQUEST,
                 unless=TROUBLE),
    PriorityRule(priority="Low", reason="General inquiries or non-urgent questions",
                 phrases=HYPOTHETICAL),
    PriorityRule(priority="Low", reason="General inquiries or non-urgent questions",
                 phrases=QUESTION, unless=TROUBLE),
    PriorityRule(priority="Medium", reason="Minor issues affecting the user experience but "
                 "not preventing core functionality", phrases=COSMETIC,
                 unless=("hacked", "someone", "fraud", "phishing", "not login")),
    PriorityRule(priority="High", reason="Widespread (affecting multiple users)",
                 phrases=WIDESPREAD),
    PriorityRule(priority="High", reason="Security breach, phishing attempt, or fraud",
                 phrases=SECURITY),
    PriorityRule(priority="High", reason="Unable to log into the account", phrases=NO_ACCESS),
    PriorityRule(priority="High", reason="Payment failures and account suspensions",
                 phrases=PAYMENT_OR_SUSPENSION),
    PriorityRule(priority="High", reason="Critical issues preventing the user from "
                 "completing a transaction", phrases=CANNOT_TRANSACT),
    PriorityRule(priority="Medium", reason="Minor issues affecting the user experience but "
                 "not preventing core functionality", phrases=MINOR,
                 issue_types=("Account-related", "Listing-related", "Transaction-related",
                              "Technical")),
    PriorityRule(priority="Low", reason="General inquiries or non-urgent questions",
                 issue_types=("General inquiry",)),
)
