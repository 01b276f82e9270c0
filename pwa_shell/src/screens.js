// The work screens after sign-in: path, custom element, and which roles see it on the home screen.
// A screen module defines its element and adds itself here with addScreen(); kaari-app imports the
// modules (views/screens.js) and routes to them. `titleKey` is an i18n key for links and headings.
export const SCREENS = [];

export function addScreen({ path, tag, roles, titleKey }) {
  SCREENS.push({ path, tag, roles, titleKey });
}

export function screenFor(path) {
  return SCREENS.find((screen) => screen.path === path) ?? null;
}

/** Screens the user's roles open (a screen with no roles is for everyone signed in). */
export function screensFor(user) {
  const roles = new Set(user.roles.map((grant) => grant.role));
  return SCREENS.filter((screen) => !screen.roles.length || screen.roles.some((role) => roles.has(role)));
}
