// This device's Web Push subscription (docs/notifications.md "API"). The browser is asked for permission
// only from a user's click (turnOn), never on load. What the server gave back (the subscription's id, the
// VAPID key it was made with, the preferences) is kept in the user's own store (gone with it at sign-out
// or a wipe), so the switch can show "on" and turn it off again, and the service worker, which has no
// localStorage, can subscribe again with the same preferences on `pushsubscriptionchange` (resubscribe).
import { api } from './api.js';
import { getMeta, getSession, putMeta } from './db.js';

/** Events each role is notified of (notifications/rules.py EVENTS_BY_ROLE). */
export const EVENTS_BY_ROLE = {
  coordinator: ['free_places', 'referral', 'application', 'offer_expiring'],
  counsellor: ['deadline_at_risk'],
  admin: ['push_rejected', 'device_stale'],
};
export const UNIT_KINDS = ['day_activity', 'housing_24h', 'short_term_care'];

const META_KEY = 'push_subscription';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** What was subscribed on this device for `userId`: {id, key, endpoint, preferences}, or null. */
export async function stored(userId) {
  return (await getMeta(userId, META_KEY)) ?? null;
}

const remember = (userId, value) => putMeta(userId, META_KEY, value);

/** 'unsupported', 'blocked', 'on' or 'off' for this browser and user. */
export async function pushState(userId) {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  const mine = await stored(userId);
  return subscription && mine && mine.endpoint === subscription.endpoint && Notification.permission === 'granted' ? 'on' : 'off';
}

/** The server's VAPID public key (URL-safe base64) as the bytes pushManager.subscribe wants. */
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Ask for permission (the caller is a click handler), subscribe and register with the server. */
export async function turnOn(userId, preferences) {
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return 'blocked';
  if (permission !== 'granted') return 'off'; // the prompt was dismissed: nothing changes
  const { public_key: key } = await api('/api/notifications/vapid-public-key');
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && (await stored(userId))?.key !== key) {
    await subscription.unsubscribe(); // made with another key (or by another user): the push service would refuse ours
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  const saved = await api('/api/notifications/subscriptions', {
    method: 'POST',
    body: { subscription: subscription.toJSON(), preferences },
  });
  remember(userId, { id: saved.id, key, endpoint: subscription.endpoint, preferences });
  return 'on';
}

/** Unsubscribe in the browser and delete the server's subscription. */
export async function turnOff(userId) {
  const mine = await stored(userId);
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (mine) {
    try {
      await api(`/api/notifications/subscriptions/${mine.id}`, { method: 'DELETE' });
    } catch (error) {
      if (error.status !== 404) throw error; // already gone on the server: fine
    }
  }
  await subscription?.unsubscribe();
  remember(userId, null);
}

/** At sign-out: the next user of this browser must not get this user's pushes. Never stops the sign-out. */
export async function switchOffAtSignOut(userId) {
  if (!pushSupported() || !(await stored(userId))) return;
  await turnOff(userId).catch((error) => console.warn('Kaari: push subscription left on the server', error));
}

/**
 * The service worker's `pushsubscriptionchange`: the push service replaced (or dropped) this browser's
 * subscription. If the signed-in user had switched push on here, subscribe again with the same key and
 * preferences and tell the server; the old one is deleted there (its endpoint is dead).
 */
export async function resubscribe(registration, replacement) {
  const session = await getSession();
  const mine = session && (await stored(session.user.id));
  if (!mine) return;
  const { public_key: key } = await api('/api/notifications/vapid-public-key');
  const subscription =
    replacement ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  const saved = await api('/api/notifications/subscriptions', {
    method: 'POST',
    body: { subscription: subscription.toJSON(), preferences: mine.preferences },
  });
  if (saved.id !== mine.id) {
    await api(`/api/notifications/subscriptions/${mine.id}`, { method: 'DELETE' }).catch(() => {});
  }
  await remember(session.user.id, { ...mine, id: saved.id, key, endpoint: subscription.endpoint });
}
