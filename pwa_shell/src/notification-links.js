// Where a notification opens in the app. The server's `url` names the subject in the server's own terms
// (/places/board?…, /queue?…, /assessments/{id}; docs/notifications.md), not a screen of this app, so the
// screen and its query come from the notification's `kind` and `ids`. Used by the inbox and by the
// service worker's notificationclick, so both open the same view. A url that already is a path of the
// app (a screen of its own) is kept; anything else opens the start page.
const SCREEN_PATHS = ['/kotas', '/ohjaus', '/ohjaaja', '/admin', '/ilmoitukset', '/huomio', '/paiva', '/hoiva', '/seuranta'];

function withQuery(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value != null && value !== ''));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The app path for a notification ({kind, ids, url}: the record, or a push's data). */
export function appUrl({ kind, ids, url } = {}) {
  const d = ids ?? {};
  switch (kind) {
    case 'free_places':
      return withQuery('/kotas', { unit_id: d.unit_id, from: d.date });
    case 'referral':
      return withQuery('/kotas', { tab: 'queue', service_kind: d.service_kind, area_id: d.area_id });
    case 'application':
      return withQuery('/kotas', { tab: 'queue', area_id: d.area_id });
    case 'offer_expiring':
      return withQuery('/kotas', { tab: 'queue', offer_id: d.offer_id });
    case 'deadline_at_risk':
      return withQuery('/ohjaus', { tab: 'assessments', assessment_id: d.assessment_id });
    case 'device_stale':
    case 'push_rejected':
      return '/admin';
    default: {
      const path = typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') ? url : '/';
      return SCREEN_PATHS.some((screen) => path === screen || path.startsWith(`${screen}?`)) ? path : '/';
    }
  }
}
