// The app's root: loads the stored sign-in and enrolment, starts the sync engine for the signed-in
// user (or, on a tablet with nobody signed in, the flusher of signed-out users' outboxes), picks the
// screen for the path, keeps the online/offline state, and reacts to the API layer's notices
// (session ended, device wiped).
import { LitElement, html } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { apiEvents } from '../api.js';
import { loadReference, signOut } from '../auth.js';
import { getEnrolment, getSession } from '../db.js';
import { resetLanguage } from '../i18n.js';
import { ROUTES, currentPath, interceptLinks, navigate, onRouteChange } from '../router.js';
import { landingPath, screenFor, unitKindsOf } from '../screens.js';
import { onWorkerMessage } from '../sw-update.js';
import { currentEngine, startDeviceFlush, startSync, stopDeviceFlush, stopSync } from '../sync/index.js';
import './kaari-attention.js';
import './kaari-enrol.js';
import './kaari-header.js';
import './kaari-home.js';
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
  };

  constructor() {
    super();
    this.path = currentPath();
    this.session = null;
    this.enrolment = null;
    this.online = navigator.onLine;
    this.notice = '';
    this.ready = false;
    interceptLinks(this);
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
    await this.startSyncing();
    this.ready = true;
    this.guardRoute();
  }

  /** The signed-in user's engine; with nobody signed in, a tablet still sends what others left. */
  async startSyncing() {
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
    this.notice = notice;
    this.startSyncing();
    navigate(ROUTES.signIn);
  }

  async signedIn(session) {
    this.session = session;
    this.notice = '';
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
    stopSync(); // before a personal device erases the user's store
    await signOut(this.session);
    this.session = null;
    await this.startSyncing();
    navigate(ROUTES.signIn);
  }

  async updated(changed) {
    // After a navigation (not the first screen), move focus to the new screen's heading so keyboard
    // and screen-reader users start at the top of it.
    if (changed.has('path') && changed.get('path') !== undefined) {
      const view = this.renderRoot.querySelector('.view');
      await view?.updateComplete;
      view?.focusHeading?.();
    }
  }

  renderView() {
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
    return html`<kaari-header .online=${this.online} .signedIn=${Boolean(this.session && this.ready)}></kaari-header>
      ${this.session && this.ready ? html`<kaari-sync-status></kaari-sync-status>` : ''}
      ${this.ready ? this.renderView() : ''}`;
  }
}

customElements.define('kaari-app', KaariApp);
