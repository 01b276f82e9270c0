"""Web Push to coordinators (VAPID, subscriptions, sending, pruning) and the notification rules."""
