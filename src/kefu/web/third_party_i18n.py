"""Strings that third-party apps (and Django's newest admin templates) show in the admin but
whose own zh-Hans catalogues lack, and Django's punctuation Kefu writes the Chinese way. Marked
here so `makemessages` keeps them in Kefu's catalogue, which translates them; the apps' names
are in web/apps.py."""
from django.utils.translation import gettext_noop

STRINGS = [
    # Django's form label suffix and the marks after which it adds none: full-width in Chinese
    # (状态：, and none after 您的问题解决了吗？). Django's zh-Hans catalogue keeps them ASCII.
    gettext_noop(":"), gettext_noop(":?.!"),
    # django.contrib.admin's date hierarchy (new in Django 6; not yet in its zh-Hans catalogue)
    gettext_noop("Filter by %(field_name)s"),
    # django-axes
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"),
    gettext_noop("access failure"), gettext_noop("access failures"), gettext_noop("GET Data"),
    gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("access attempt"),
    gettext_noop("access attempts"), gettext_noop("Access Attempt"), gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"), gettext_noop("Session key hash (sha256)"), gettext_noop("access log"),
    gettext_noop("access logs"), gettext_noop("Locked Out"), gettext_noop("Form Data"), gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"), gettext_noop("Not set"), gettext_noop("Attempt Remaining"),
    # django-tasks-db
    gettext_noop("status"), gettext_noop("enqueued at"), gettext_noop("started at"), gettext_noop("finished at"),
    gettext_noop("args kwargs"), gettext_noop("priority"), gettext_noop("task path"), gettext_noop("worker id"),
    gettext_noop("queue name"), gettext_noop("backend name"), gettext_noop("run after"),
    gettext_noop("return value"), gettext_noop("exception class path"), gettext_noop("traceback"),
    gettext_noop("Task Result"), gettext_noop("Task Results"),
]
