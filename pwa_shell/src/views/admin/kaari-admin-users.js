// Users and roles (GET /api/admin/users): each user's roles with where they hold them (the whole region,
// an area, a unit); an admin adds a role (POST /api/admin/users/{id}/roles) or removes one (DELETE
// …/roles?role=&area_id=&unit_id=). A change takes effect on the user's next call and their devices'
// next sync. The server refuses removing one's own admin role; so does this screen. Online only.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery } from '../../sync/index.js';
import { errorText } from '../../ui/error-text.js';
import { officeStyles } from '../../ui/office-styles.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { byName } from '../kotas/kaari-places-board.js';

export const ROLES = ['admin', 'coordinator', 'counsellor', 'supervisor', 'unit_staff'];
// The add-role form offers the least privilege first and no scope until one is chosen: a careless
// submit gives one unit's staff role, never the region's admin role.
const ADD_ORDER = ['unit_staff', 'counsellor', 'supervisor', 'coordinator', 'admin'];

class KaariAdminUsers extends LitElement {
  static properties = {
    session: { attribute: false },
    adding: { state: true }, // user id whose add-role form is open
    search: { state: true },
    errors: { state: true },
    notice: { state: true },
    busy: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      .roles {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .role {
        display: inline-flex;
        align-items: center;
        gap: 0.25rem;
        padding: 0.1rem 0.25rem 0.1rem 0.75rem;
        border: 1px solid var(--kaari-border);
        border-radius: 999px;
      }
      .role button {
        min-height: 2.25rem;
        min-width: 2.25rem;
        padding: 0;
        font-size: 1.1rem;
        color: var(--kaari-error-text);
        background: none;
        border: none;
        border-radius: 999px;
      }
      .add {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0.5rem 1rem;
      }
      .add .field {
        margin: 0;
      }
      .search {
        max-width: 24rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.adding = null;
    this.search = '';
    this.errors = [];
    this.notice = '';
    this.busy = false;
    this.users = new RemoteQuery(this, () => api('/api/admin/users'));
    this.places = new LiveQuery(this, ['unit', 'area'], async (engine) => ({
      areas: (await engine.query('area')).sort(byName),
      units: (await engine.query('unit')).sort(byName),
    }));
  }

  scopeName(grant) {
    const places = this.places.value;
    const find = (list, id) => label(list?.find((x) => x.id === id)?.data.labels) || t('scope.unknown');
    if (grant.unit_id) return t('scope.unit', { name: find(places?.units, grant.unit_id), area: find(places?.areas, places?.units.find((u) => u.id === grant.unit_id)?.data.area_id) });
    if (grant.area_id) return t('scope.area', { name: find(places?.areas, grant.area_id) });
    return t('scope.all');
  }

  async change(user, grant, method) {
    this.busy = true;
    this.errors = [];
    this.notice = '';
    try {
      const path = `/api/admin/users/${user.id}/roles`;
      if (method === 'POST') {
        await api(path, { method, body: grant });
      } else {
        const query = new URLSearchParams(Object.entries(grant).filter(([, v]) => v != null));
        await api(`${path}?${query}`, { method });
      }
      this.notice = t(method === 'POST' ? 'users.added' : 'users.removed', { role: t(`role.${grant.role}`), user: user.display_name });
      this.adding = null;
      await this.users.refresh();
    } catch (error) {
      this.errors = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  submitAdd(event, user) {
    event.preventDefault();
    const form = new FormData(event.target);
    const [kind, id] = String(form.get('scope')).split(':');
    this.change(user, { role: form.get('role'), area_id: kind === 'area' ? id : null, unit_id: kind === 'unit' ? id : null }, 'POST');
  }

  renderAdd(user) {
    const places = this.places.value ?? { areas: [], units: [] };
    return html`<form class="add panel" @submit=${(e) => this.submitAdd(e, user)} data-testid="add-role-form"
      aria-label=${t('users.addFor', { user: user.display_name })}>
      <div class="field">
        <label for="role-${user.id}">${t('users.role')}</label>
        <select id="role-${user.id}" name="role">
          ${ADD_ORDER.map((r) => html`<option value=${r} ?selected=${r === ADD_ORDER[0]}>${t(`role.${r}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="scope-${user.id}">${t('users.where')}</label>
        <select id="scope-${user.id}" name="scope" required>
          <option value="" selected disabled>${t('users.chooseScope')}</option>
          <option value="region">${t('scope.all')}</option>
          <optgroup label=${t('users.areas')}>
            ${places.areas.map((a) => html`<option value="area:${a.id}">${label(a.data.labels)}</option>`)}
          </optgroup>
          <optgroup label=${t('users.units')}>
            ${places.units.map((u) => html`<option value="unit:${u.id}">${label(u.data.labels)}</option>`)}
          </optgroup>
        </select>
      </div>
      <button class="primary" type="submit" ?disabled=${this.busy}>${t('users.add')}</button>
      <button class="secondary" type="button" @click=${() => (this.adding = null)}>${t('attention.cancel')}</button>
    </form>`;
  }

  renderUser(user) {
    const me = user.id === this.session?.user.id;
    return html`<tr data-testid="user-row" data-username=${user.username}>
      <td><strong>${user.display_name}</strong><br /><span class="muted">${user.username}</span></td>
      <td>
        <ul class="roles" aria-label=${t('users.rolesOf', { user: user.display_name })}>
          ${user.roles.map((grant) => {
            const text = `${t(`role.${grant.role}`)} · ${this.scopeName(grant)}`;
            const own = me && grant.role === 'admin';
            return html`<li class="role" data-testid="role">${text}
              ${own
                ? ''
                : html`<button type="button" title=${t('users.remove', { role: text })} aria-label=${t('users.remove', { role: text })}
                    ?disabled=${this.busy} @click=${() => this.change(user, grant, 'DELETE')}>✕</button>`}
            </li>`;
          })}
          ${user.roles.length ? '' : html`<li class="muted">${t('users.noRoles')}</li>`}
        </ul>
        ${this.adding === user.id ? this.renderAdd(user) : ''}
      </td>
      <td>
        ${this.adding === user.id
          ? ''
          : html`<button class="secondary small" type="button" data-testid="add-role" @click=${() => (this.adding = user.id)}>
              ${t('users.addRole')}
            </button>`}
      </td>
    </tr>`;
  }

  render() {
    const needle = this.search.trim().toLowerCase();
    const users = (this.users.value ?? []).filter(
      (u) => !needle || u.username.toLowerCase().includes(needle) || u.display_name.toLowerCase().includes(needle),
    );
    return html`<section aria-labelledby="users-title">
      <div class="top">
        <h2 id="users-title">${t('users.title')}</h2>
        <button type="button" class="secondary small" @click=${() => this.users.refresh()}>${t('admin.refresh')}</button>
      </div>
      <p class="muted">${t('users.intro')}</p>
      ${remoteNotice(this.users, 'admin.offline')}
      <div role="alert">${this.errors.length ? html`<div class="notice error">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}</div>
      <div role="status">${this.notice ? html`<div class="notice info" data-testid="users-notice"><p>${this.notice}</p></div>` : ''}</div>
      ${this.users.value
        ? html`<div class="field search">
              <label for="user-search">${t('users.search')}</label>
              <input id="user-search" type="search" .value=${this.search} @input=${(e) => (this.search = e.target.value)} />
            </div>
            <div class="scroll" tabindex="0" role="region" aria-label=${t('users.title')}>
              <table class="data" data-testid="users">
                <thead>
                  <tr>
                    <th scope="col">${t('users.user')}</th>
                    <th scope="col">${t('users.roles')}</th>
                    <th scope="col"><span class="visually-hidden">${t('devices.actions')}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${users.map((u) => this.renderUser(u))}
                </tbody>
              </table>
            </div>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-admin-users', KaariAdminUsers);
