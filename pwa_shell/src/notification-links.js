// Where a notification opens in the app. The server writes `url` as a path of this app (a screen and its
// query; docs/notifications.md), which is kept. Records written before it did (/places/board?…, /queue?…,
// /applications/{id}, /assessments/{id}) get the screen from the notification's `kind` and `ids`; anything
// else opens the start page. Used by the inbox and by the service worker's notificationclick, so both open
// the same view.
const SCREEN_PATHS = ['/kotas', '/ohjaus', '/ohjaaja', '/admin', '/ilmoitukset', '/huomio', '/paiva', '/hoiva', '/seuranta'];

function withQuery(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value != null && value !== ''));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

function isScreen(url) {
  return (
    typeof url === 'string' && SCREEN_PATHS.some((screen) => url === screen || url.startsWith(`${screen}?`))
  );
}

/** The app path for a notification ({kind, ids, url}: the record, or a push's data). */
export function appUrl({ kind, ids, url } = {}) {
  if (isScreen(url)) return url;
  const d = ids ?? {};
  switch (kind) {
    case 'free_places':
      return withQuery('/kotas', { unit_id: d.unit_id, from: d.date });
    case 'referral':
      return withQuery('/kotas', { tab: 'queue', service_kind: d.service_kind, area_id: d.area_id, queue_entry_id: d.queue_entry_id });
    case 'application':
      return withQuery('/kotas', { tab: 'queue', area_id: d.area_id });
    case 'offer_expiring':
      return withQuery('/kotas', { tab: 'queue', offer_id: d.offer_id });
    case 'deadline_at_risk':
      return withQuery('/ohjaus', { tab: 'assessments', assessment_id: d.assessment_id });
    case 'device_stale':
      return withQuery('/admin', { device_id: d.device_id });
    case 'push_rejected':
      return '/admin';
    default:
      return '/';
  }
}
