"""Notifications: telling people what happened that concerns them.

The services of the areas above (annotations, definitions, moderation, the editors'
publishing) call `app.notifications.events` once content is out in the open; it decides who
hears of it (one notification per account and event, never the actor), stores the
notifications and, for accounts that asked for it, queues an e-mail at once. Digests
gather the rest once a day (`flask notifications send-digests`). The list, the bell, the
settings, follows and the one-click unsubscribe link live here too. This package sits
below the areas and uses only models, core and extensions.
"""
