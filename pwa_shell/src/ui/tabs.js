// Tabs for a screen's sections (WAI-ARIA tabs pattern): buttons with role=tab in a tablist, one tab stop
// (arrow keys, Home and End move between tabs and select them), each controlling its tabpanel. Large
// enough to tap. The screen keeps which tab is selected (usually in the query string, so a reload or a
// link from a notification opens the right one).
import { css, html } from 'lit';

/**
 * `tabs`: [{id, label}]; `selected`: an id; `onSelect(id)`; `prefix`: unique per screen, for element ids.
 * Render the panel with `tabPanel(prefix, id, content)`.
 */
export function tabList({ label, tabs, selected, onSelect, prefix }) {
  const move = (event, index) => {
    const last = tabs.length - 1;
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = tabs[(to + tabs.length) % tabs.length];
    onSelect(next.id);
    const list = event.currentTarget.parentElement;
    requestAnimationFrame(() => list.querySelector(`#${prefix}-tab-${next.id}`)?.focus());
  };
  return html`<div class="tabs" role="tablist" aria-label=${label}>
    ${tabs.map(
      (tab, index) => html`<button
        type="button"
        role="tab"
        id="${prefix}-tab-${tab.id}"
        aria-controls="${prefix}-panel-${tab.id}"
        aria-selected=${tab.id === selected ? 'true' : 'false'}
        tabindex=${tab.id === selected ? '0' : '-1'}
        data-testid="tab-${tab.id}"
        @click=${() => onSelect(tab.id)}
        @keydown=${(event) => move(event, index)}
      >
        ${tab.label}
      </button>`,
    )}
  </div>`;
}

export function tabPanel(prefix, id, content) {
  return html`<div role="tabpanel" id="${prefix}-panel-${id}" aria-labelledby="${prefix}-tab-${id}" tabindex="0">
    ${content}
  </div>`;
}

export const tabStyles = css`
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    border-bottom: 2px solid var(--kaari-border);
    margin-bottom: 1.25rem;
  }
  .tabs [role='tab'] {
    min-height: var(--kaari-target);
    padding: 0.5rem 1.25rem;
    font: inherit;
    font-weight: 600;
    color: var(--kaari-brand);
    background: transparent;
    border: 2px solid transparent;
    border-bottom: none;
    border-radius: var(--kaari-radius) var(--kaari-radius) 0 0;
    cursor: pointer;
    margin-bottom: -2px;
  }
  .tabs [role='tab'][aria-selected='true'] {
    color: var(--kaari-text);
    background: var(--kaari-surface);
    border-color: var(--kaari-border);
    border-bottom: 2px solid var(--kaari-surface);
  }
  .tabs [role='tab']:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
  [role='tabpanel']:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 4px;
  }
`;
