// The work screens after sign-in: path, custom element, and which roles see it on the home screen.
// A screen module defines its element and adds itself here with addScreen(); kaari-app imports the
// modules (views/screens.js) and routes to them. `titleKey` is an i18n key for links and headings.
// `unitKinds` (optional) limits a unit staff screen to staff of units of those kinds (/paiva for day
// activity, /hoiva for 24h housing and short-term care).
export const SCREENS = [];

export function addScreen({ path, tag, roles, titleKey, unitKinds = null }) {
  SCREENS.push({ path, tag, roles, titleKey, unitKinds });
}

export function screenFor(path) {
  return SCREENS.find((screen) => screen.path === path) ?? null;
}

/**
 * The kinds of the units the user works in as unit staff here (a Set), or null when every kind may be
 * theirs (an area or region grant) or the units are not known yet. On a shared tablet: its unit's kind.
 * `units` are {id, kind} objects (reference data or the replica's unit records' data).
 */
export function unitKindsOf(user, enrolment, units) {
  if (!units?.length) return null;
  const kindOf = new Map(units.map((u) => [u.id, u.kind]));
  if (enrolment) return kindOf.has(enrolment.unit_id) ? new Set([kindOf.get(enrolment.unit_id)]) : null;
  const grants = user.roles.filter((g) => g.role === 'unit_staff');
  if (grants.some((g) => !g.unit_id)) return null;
  return new Set(grants.map((g) => kindOf.get(g.unit_id)).filter(Boolean));
}

/** Screens the user's roles open (a screen with no roles is for everyone signed in). */
export function screensFor(user, unitKinds = null) {
  const roles = new Set(user.roles.map((grant) => grant.role));
  return SCREENS.filter(
    (screen) =>
      (!screen.roles.length || screen.roles.some((role) => roles.has(role))) &&
      (!screen.unitKinds || !unitKinds || screen.unitKinds.some((kind) => unitKinds.has(kind))),
  );
}

/** Where a user starts after sign-in: the one unit screen of unit staff, else the home screen ('/'). */
export function landingPath(user, unitKinds) {
  const screens = screensFor(user, unitKinds);
  return screens.length === 1 && screens[0].unitKinds ? screens[0].path : '/';
}
