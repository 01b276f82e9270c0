// The user's notifications (docs/notifications.md), from this device's replica: every notification is
// also a synced `notification` record (scope user:{id}), so the list works offline. Newest first, unread
// ones marked in words (not colour alone); opening one goes to its view in the app (notification-links.js)
// and marks it read with `notification.read`, queued here and sent when there is a network: every
// device of the user then shows it read. The same element on /ilmoitukset and on the Kotas tab.
// `kaari-inbox-link` is the header's link to /ilmoitukset with the unread count.
import { LitElement, css, html } from 'lit';
import { I18nController, language, t } from '../i18n.js';
import { appUrl } from '../notification-links.js';
import { navigate } from '../router.js';
import { LiveQuery, StorageFullError, currentEngine, registerMutator } from '../sync/index.js';
import { officeStyles } from '../ui/office-styles.js';
import { sharedStyles } from '../ui/shared-styles.js';

export const INBOX_PATH = '/ilmoitukset';
/** The roles the server notifies (notifications/rules.py EVENTS_BY_ROLE). */
export const INBOX_ROLES = ['coordinator', 'counsellor', 'admin'];

// The read shows at once, offline too; the first read time stays, as on the server.
registerMutator('notification.read', async (tx, { notification_ids: ids }) => {
  for (const id of ids) {
    const row = await tx.get('notification', id);
    if (row && !row.read_at) tx.put('notification', id, { ...row, read_at: tx.context.now });
  }
});

const newestFirst = (a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || (a.id < b.id ? -1 : 1);

/** Lit controller: the user's notifications, newest first (`value`: {items, unread}). */
export class InboxQuery extends LiveQuery {
  constructor(host) {
    super(host, ['notification'], async (engine) => {
      const items = (await engine.query('notification')).map((r) => ({ ...r.data, pending: r.pending })).sort(newestFirst);
      return { items, unread: items.filter((n) => !n.read_at).length };
    });
  }
}

/** Mark notifications read on this device now, on the server at the next sync. */
export async function markRead(ids) {
  if (ids.length) await currentEngine()?.mutate('notification.read', { notification_ids: ids });
}

function when(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
}

class KaariInbox extends LitElement {
  static properties = { message: { state: true } };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        border-bottom: 1px solid var(--kaari-border);
      }
      li:last-child {
        border-bottom: 0;
      }
      a {
        display: block;
        padding: 0.75rem 0.5rem;
        color: inherit;
        font-weight: 400;
        text-decoration: none;
      }
      a:hover .title,
      a:focus-visible .title {
        text-decoration: underline;
      }
      li.unread {
        border-left: 4px solid var(--kaari-brand);
      }
      li.unread .title {
        font-weight: 700;
      }
      .title,
      .body {
        display: block;
        margin: 0.25rem 0;
      }
      .title {
        font-weight: 400;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        margin-bottom: 0.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.data = new InboxQuery(this);
    this.message = null;
  }

  async open(event, item) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    const target = appUrl(item);
    try {
      if (!item.read_at) await markRead([item.id]);
    } catch (error) {
      // Still opened: only the read mark is missing (e.g. the device's storage is full).
      this.message = error instanceof StorageFullError ? t('sync.storageFull') : String(error.message ?? error);
    }
    navigate(target);
  }

  async markAll() {
    const ids = this.data.value.items.filter((n) => !n.read_at).map((n) => n.id);
    try {
      for (let i = 0; i < ids.length; i += 200) await markRead(ids.slice(i, i + 200)); // the mutation takes 200
    } catch (error) {
      this.message = error instanceof StorageFullError ? t('sync.storageFull') : String(error.message ?? error);
    }
  }

  renderItem(item) {
    const unread = !item.read_at;
    return html`<li class=${unread ? 'unread' : ''} data-testid="notification" data-id=${item.id} data-kind=${item.kind}
      data-read=${unread ? 'false' : 'true'}>
      <a href=${appUrl(item)} @click=${(e) => this.open(e, item)}>
        ${unread ? html`<span class="badge warn" data-testid="unread">${t('inbox.unread')}</span>` : ''}
        <span class="title">${item.title}</span>
        ${item.body ? html`<span class="body">${item.body}</span>` : ''}
        <span class="muted"><time datetime=${item.created_at}>${when(item.created_at)}</time></span>
      </a>
    </li>`;
  }

  render() {
    const data = this.data.value;
    const notice = html`<div aria-live="polite">${this.message ? html`<div class="notice error"><p>${this.message}</p></div>` : ''}</div>`;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    if (!data.items.length) return html`${notice}<p class="muted" data-testid="no-notifications">${t('inbox.none')}</p>`;
    return html`${notice}
      <div class="actions">
        <p data-testid="unread-count">${t('inbox.unreadCount', { count: data.unread })}</p>
        ${data.unread
          ? html`<button class="secondary" type="button" @click=${() => this.markAll()}>${t('inbox.markAll')}</button>`
          : ''}
      </div>
      <ul aria-label=${t('inbox.listLabel')} data-testid="notifications">${data.items.map((item) => this.renderItem(item))}</ul>`;
  }
}

customElements.define('kaari-inbox', KaariInbox);

/** The header's link to the inbox, with the unread count in its text. */
class KaariInboxLink extends LitElement {
  static styles = css`
    a {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      min-height: var(--kaari-target);
      padding: 0 0.75rem;
      color: var(--kaari-on-brand);
      font-weight: 600;
    }
    a:focus-visible {
      outline: 3px solid var(--kaari-offline-bg);
      outline-offset: 2px;
    }
    .count {
      min-width: 1.5rem;
      padding: 0 0.4rem;
      border-radius: 999px;
      color: var(--kaari-brand);
      background: var(--kaari-on-brand);
      text-align: center;
    }
  `;

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.data = new InboxQuery(this);
  }

  render() {
    const unread = this.data.value?.unread ?? 0;
    const name = unread ? t('inbox.linkUnread', { count: unread }) : t('inbox.link');
    return html`<a href=${INBOX_PATH} aria-label=${name} data-testid="inbox-link">
      ${t('inbox.link')} ${unread ? html`<span class="count" aria-hidden="true">${unread}</span>` : ''}
    </a>`;
  }
}

customElements.define('kaari-inbox-link', KaariInboxLink);
