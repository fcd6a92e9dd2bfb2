"""Canned replies (SPEC §7): PL/EN pairs kept in admin and offered on the engineers' ticket page."""

from django.db import transaction

from ..models import CannedReply


@transaction.atomic
def canned_reply_upsert(
    *, title: str, text_pl: str, text_en: str, ordering: int = 0, active: bool = True
) -> CannedReply:
    """The canned reply titled `title`, created or updated to these texts (placeholders checked by `full_clean`)."""
    canned = CannedReply.objects.select_for_update().filter(title=title).first() or CannedReply(title=title)
    canned.text_pl, canned.text_en, canned.ordering, canned.active = text_pl, text_en, ordering, active
    canned.full_clean()
    canned.save()
    return canned
