"""gunicorn's settings for the portal, read from the working directory (``gunicorn portal.wsgi``).

The access log names the path without its query string and without the referrer: an SMS
vendor's delivery report (Mitake's is a GET) carries the recipient's full number in its
query, and an admin search the number a member gave on the phone.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
