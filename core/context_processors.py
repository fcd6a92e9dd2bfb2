from django.conf import settings


def portal(request):
    """Contact details shown in every page's footer."""
    return {
        "helpdesk_email": settings.MYHEZO_HELPDESK_EMAIL,
        "helpdesk_phone": settings.MYHEZO_HELPDESK_PHONE,
    }
