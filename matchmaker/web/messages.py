"""Messages the services and schemas write in English, listed for the translation catalog.

The pages show a service's or a schema's message through ``i18n.translate_message``,
which looks each one up in the catalog; ``pybabel extract -k N_`` collects them from
here.  Messages with values in them are matched by the patterns in ``i18n``.  A message
missing from both is shown as written (in English), never dropped.
"""


def N_(message: str) -> str:
    """Marks a message for extraction; translated when shown."""
    return message


MESSAGES = (
    # marshmallow's own
    N_("Missing data for required field."), N_("Field may not be null."), N_("Not a valid integer."),
    N_("Not a valid number."), N_("Not a valid date."), N_("Not a valid datetime."), N_("Not a valid boolean."),
    N_("Not a valid string."), N_("Not a valid list."), N_("Unknown field."), N_("Invalid value."),
    N_("Number too large."), N_("Not a valid aware datetime."),
    # the schemas
    N_("must not be above ticket_max"), N_("must not be above max_amount"), N_("must be at least 1 yuan"),
    N_("only for equity or convertible financing"), N_("equity has no term; leave it out"),
    N_("must not be in the future"), N_("must be 1949 or later"), N_("a financial year before the founding year"),
    N_("must not repeat a value"), N_("name at least 1"), N_("must not start or end with spaces"),
    N_("3 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"),
    N_("an enterprise user must be bound to an enterprise"), N_("an institution user must be bound to an institution"),
    # field messages from the services
    N_("already exists"), N_("already funded"), N_("already requested"), N_("already taken"),
    N_("at most 12 hours after starts_at"), N_("cannot be changed"), N_("is read-only"), N_("is wrong"),
    N_("must be after starts_at"), N_("no such enterprise"), N_("no such institution"), N_("no such need"),
    N_("not an ISO 8601 time"), N_("not open"), N_("only with outcome 'funded'"), N_("only with response 'declined'"),
    N_("required"), N_("required for a funded outcome"), N_("set by zone staff"), N_("does not match the new password"),
    N_("does not match need_id and institution_id"),
    # whole messages from the services
    N_("the document has invalid fields"), N_("the current password is wrong"), N_("the passwords differ"),
    N_("a meeting ends after it starts"), N_("a meeting lasts at most 12 hours"), N_("say why you decline"),
    N_("a reason is for declining"), N_("say how much was funded and how"), N_("amount and instrument are for a funded outcome"),
    N_("a cancelled meeting cannot be held"), N_("a funded outcome is final"),
    N_("both parties must confirm before the meeting is held"), N_("the meeting is already recorded as held"),
    N_("you have already asked for this introduction; staff will answer"),
    N_("this answer is being changed by someone else right now; try again"),
    N_("a username cannot be changed"), N_("a need cannot move to another enterprise"),
    N_("the zone recruitment status is set by zone staff"), N_("you may edit only your own enterprise"),
    N_("you may edit only your own institution"), N_("you may not see this need"),
    N_("you may see an enterprise only through its open funding needs"),
    N_("only the enterprise itself and zone staff see its listing readiness"),
    N_("only the enterprise itself and zone staff see the matches of a need"),
    N_("only the enterprise itself or zone staff may change this need"),
    N_("only the enterprise itself or zone staff may post its needs"),
    N_("only the institution itself and zone staff see its deal flow"),
    N_("only the two parties and zone staff see a meeting"), N_("only the two parties answer a meeting"),
    N_("this saved search belongs to another institution"), N_("saved searches belong to institutions"),
    N_("institutions save searches over the deal flow"), N_("this notification is addressed to someone else"),
    N_("an enterprise asks for introductions for its own needs"),
    N_("introduction requests are seen by the enterprise that asked and zone staff"),
    N_("you may see only answers to your own needs or by your own institution"),
    N_("institutions find enterprises through their open needs: search /api/v1/needs"),
    N_("only zone staff verify a designation"), N_("listings are entered by zone staff"),
    N_("set by zone staff, who check it against the regulator's record"),
    N_("must be after granted_on"), N_("must not be before the founding date"),
    N_("some fields are set by zone staff only"), N_("must be a number >= 0"), N_("must be a whole number"),
    N_("The CSRF token is missing."), N_("The CSRF token is invalid."), N_("The CSRF token has expired."),
    N_("The CSRF session token is missing."), N_("The CSRF tokens do not match."),
    N_("The referrer header is missing."), N_("The referrer does not match the host."),
    # documents (matchmaker.documents)
    N_("only PDF, PNG, JPEG, WebP or XLSX files are accepted"),
    N_("the file is empty"), N_("the PDF is cut short or damaged"), N_("the workbook cannot be opened"),
    N_("the workbook unpacks to far more than its size"), N_("give enterprise_id or need_id"),
    N_("no such need of this enterprise"), N_("only the enterprise and zone staff upload and delete its documents"),
)
