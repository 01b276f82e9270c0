// The app's root: loads the stored sign-in and enrolment, starts the sync engine for the signed-in
// user (or, on a tablet with nobody signed in, the flusher of signed-out users' outboxes), picks the
// screen for the path, keeps the online/offline state, and reacts to the API layer's notices
// (session ended, device wiped).
import { LitElement, html } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { apiEvents } from '../api.js';
import { loadReference, signOut } from '../auth.js';
import { clearSession, getEnrolment, getSession, saveSession } from '../db.js';
import { resetLanguage } from '../i18n.js';
import { IdleWatcher, forgetPin, isLocked, keepSession, setLocked } from '../lock.js';
import { switchOffAtSignOut } from '../push-subscription.js';
import { ROUTES, currentPath, interceptLinks, navigate, onRouteChange } from '../router.js';
import { landingPath, screenFor, unitKindsOf } from '../screens.js';
import { onWorkerMessage } from '../sw-update.js';
import { currentEngine, startDeviceFlush, startSync, stopDeviceFlush, stopSync } from '../sync/index.js';
import './kaari-attention.js';
import './kaari-enrol.js';
import './kaari-header.js';
import { INBOX_ROLES } from './kaari-inbox.js';
import './kaari-home.js';
import './kaari-lock.js';
import './kaari-sign-in.js';
import './kaari-sync-status.js';
import './screens.js';

class KaariApp extends LitElement {
  static properties = {
    path: { state: true },
    session: { state: true },
    enrolment: { state: true },
    online: { state: true },
    notice: { state: true },
    ready: { state: true },
    locked: { state: true }, // a shared tablet's lock screen hides everything until a PIN opens it
  };

  constructor() {
    super();
    this.path = currentPath();
    this.session = null;
    this.enrolment = null;
    this.online = navigator.onLine;
    this.notice = '';
    this.ready = false;
    this.locked = false;
    this.idle = new IdleWatcher(() => this.lock());
    interceptLinks(this);
    this.addEventListener('lock', () => this.lock());
    this.addEventListener('unlocked', (e) => this.unlocked(e.detail));
    this.addEventListener('pin-locked-out', (e) => this.pinLockedOut(e.detail.userId));
    this.addEventListener('lock-sign-in', () => this.lockSignIn());
    this.addEventListener('signed-in', (e) => this.signedIn(e.detail));
    this.addEventListener('enrolled', (e) => this.enrolled(e.detail));
    this.addEventListener('sign-out', () => this.signOut());
    // The root lives as long as the page, so these app-wide listeners are never removed.
    apiEvents.addEventListener('reachability', (e) => (this.online = e.detail && navigator.onLine));
    apiEvents.addEventListener('session-ended', () => this.leave('signIn.sessionEnded'));
    apiEvents.addEventListener('device-wiped', () => {
      this.enrolment = null;
      stopDeviceFlush();
      resetLanguage();
      this.leave('signIn.revoked');
    });
    // Background Sync fired while this page is open: the page's engine does the work.
    onWorkerMessage((message) => {
      if (message.type === 'kaari-sync') currentEngine()?.requestSync('background-sync');
    });
  }

  connectedCallback() {
    super.connectedCallback();
    this.unlisten = onRouteChange((path) => {
      this.path = path;
      this.guardRoute();
    });
    this.onConnectivity = () => (this.online = navigator.onLine);
    window.addEventListener('online', this.onConnectivity);
    window.addEventListener('offline', this.onConnectivity);
    this.load();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.unlisten?.();
    window.removeEventListener('online', this.onConnectivity);
    window.removeEventListener('offline', this.onConnectivity);
  }

  async load() {
    [this.session, this.enrolment] = await Promise.all([getSession(), getEnrolment()]);
    this.locked = Boolean(this.enrolment && this.session && isLocked()); // idle while the page was closed
    await this.startSyncing();
    this.ready = true;
    this.guardRoute();
  }

  /** The signed-in user's engine; with nobody signed in, a tablet still sends what others left. */
  async startSyncing() {
    if (this.enrolment && this.session) this.idle.start();
    else this.idle.stop();
    if (this.session) {
      stopDeviceFlush();
      try {
        await startSync(this.session, this.enrolment);
      } catch (error) {
        console.error('Kaari: the sync engine could not start', error);
      }
    } else {
      stopSync();
      if (this.enrolment) startDeviceFlush();
    }
  }

  /** Signed-out users see sign-in; signed-in users see home, Needs attention and their screens. */
  guardRoute() {
    if (!this.ready || this.path === ROUTES.enrol) return;
    const signedInPath = this.path === ROUTES.home || this.path === ROUTES.attention || screenFor(this.path);
    if (!this.session && this.path !== ROUTES.signIn) navigate(ROUTES.signIn, { replace: true });
    else if (this.session && !signedInPath) navigate(ROUTES.home, { replace: true });
  }

  leave(notice) {
    this.session = null;
    this.locked = false;
    this.notice = notice;
    this.startSyncing();
    navigate(ROUTES.signIn);
  }

  async signedIn(session) {
    this.session = session;
    this.notice = '';
    setLocked(false);
    await this.startSyncing();
    navigate(await this.landing(session));
  }

  /** Unit staff start on their unit's screen (/paiva or /hoiva), everyone else on home. */
  async landing(session) {
    try {
      const { units } = await loadReference(session.user.id);
      return landingPath(session.user, unitKindsOf(session.user, this.enrolment, units));
    } catch {
      return ROUTES.home; // the unit kinds are not known: home links the screens
    }
  }

  async enrolled(enrolment) {
    // A personal sign-in does not carry over to a tablet: the device it was made on is another one.
    if (this.session) {
      stopSync();
      await signOut(this.session);
    }
    this.session = null;
    this.enrolment = enrolment;
    this.startSyncing();
  }

  async signOut() {
    await switchOffAtSignOut(this.session.user.id); // while the sign-in can still delete it on the server
    stopSync(); // before a personal device erases the user's store
    await forgetPin(this.session.user.id); // a PIN opens a kept sign-in: there is none after sign-out
    await signOut(this.session);
    this.session = null;
    await this.startSyncing();
    navigate(ROUTES.signIn);
  }

  // --- the shared tablet's lock (lock.js) ---------------------------------------------------------------

  lock() {
    if (!this.enrolment || !this.session) return;
    setLocked(true);
    this.locked = true;
  }

  /** The signed-in user steps away: their sign-in waits beside their PIN, or ends without one. */
  async setAside() {
    stopSync();
    if (await keepSession(this.session)) await clearSession();
    else await signOut(this.session);
    this.session = null;
  }

  /** A PIN was right: the same user carries on, or another one's kept sign-in comes back. */
  async unlocked({ userId, session }) {
    if (userId !== this.session?.user.id) {
      if (!session) return this.lockSignIn(); // nothing kept for them: the password it is
      if (this.session) await this.setAside();
      await saveSession(session);
      this.session = session;
      await this.startSyncing();
      navigate(await this.landing(session));
    }
    setLocked(false);
    this.locked = false;
    this.idle.arm();
  }

  /** Too many wrong PINs: that user's PIN and kept sign-in are gone; if it was the one signed in, they sign in again. */
  async pinLockedOut(userId) {
    if (userId !== this.session?.user.id) return;
    stopSync();
    await signOut(this.session);
    setLocked(false);
    this.locked = false;
    this.leave('lock.lockedOutSignIn');
  }

  async lockSignIn() {
    if (this.session) await this.setAside();
    setLocked(false);
    this.locked = false;
    this.leave('');
  }

  async updated(changed) {
    if (changed.has('locked') && changed.get('locked') !== undefined) {
      const view = this.renderRoot.querySelector('.view');
      await view?.updateComplete;
      view?.focusHeading?.();
    }
    // After a navigation (not the first screen), move focus to the new screen's heading so keyboard
    // and screen-reader users start at the top of it.
    if (changed.has('path') && changed.get('path') !== undefined) {
      const view = this.renderRoot.querySelector('.view');
      await view?.updateComplete;
      view?.focusHeading?.();
    }
  }

  renderView() {
    if (this.locked && this.session) return html`<kaari-lock class="view" .session=${this.session}></kaari-lock>`;
    if (this.path === ROUTES.enrol) return html`<kaari-enrol class="view" .enrolment=${this.enrolment}></kaari-enrol>`;
    if (this.session) {
      if (this.path === ROUTES.attention) {
        return html`<kaari-attention class="view" .session=${this.session}></kaari-attention>`;
      }
      const screen = screenFor(this.path);
      if (screen) {
        const tag = unsafeStatic(screen.tag);
        return staticHtml`<${tag} class="view" .session=${this.session} .enrolment=${this.enrolment}
          .online=${this.online}></${tag}>`;
      }
      return html`<kaari-home
        class="view"
        .session=${this.session}
        .enrolment=${this.enrolment}
        .online=${this.online}
      ></kaari-home>`;
    }
    return html`<kaari-sign-in class="view" .enrolment=${this.enrolment} .notice=${this.notice}></kaari-sign-in>`;
  }

  render() {
    const working = Boolean(this.session && this.ready && !this.locked);
    const inbox = working && this.session.user.roles.some((grant) => INBOX_ROLES.includes(grant.role));
    return html`<kaari-header
        .online=${this.online}
        .signedIn=${working}
        .tablet=${Boolean(this.enrolment)}
        .inbox=${inbox}
      ></kaari-header>
      ${working ? html`<kaari-sync-status></kaari-sync-status>` : ''}
      ${this.ready ? this.renderView() : ''}`;
  }
}

customElements.define('kaari-app', KaariApp);
