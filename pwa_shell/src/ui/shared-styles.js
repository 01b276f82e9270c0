// Styles shared by every view's shadow root: layout, headings, form fields, buttons and notices.
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    display: block;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .page {
    max-width: 36rem;
    margin: 2rem auto;
    padding: 0 1rem;
  }
  .page.wide {
    max-width: 60rem;
  }
  .card {
    background: var(--kaari-surface);
    border-radius: var(--kaari-radius);
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.15);
    padding: 1.5rem 2rem 2rem;
  }
  h1 {
    font-size: 1.75rem;
    line-height: 1.25;
    margin: 0 0 1rem;
  }
  h1:focus {
    outline: none; /* focused by the app after navigation, for screen readers; not a control */
  }
  h2 {
    font-size: 1.25rem;
    margin: 1.5rem 0 0.5rem;
  }
  p {
    margin: 0 0 1rem;
  }
  .muted {
    color: var(--kaari-muted);
  }
  .field {
    margin-bottom: 1.25rem;
  }
  label {
    display: block;
    font-weight: 600;
    margin-bottom: 0.25rem;
  }
  .hint {
    display: block;
    color: var(--kaari-muted);
    font-size: 0.9rem;
    margin-bottom: 0.25rem;
  }
  input {
    width: 100%;
    min-height: var(--kaari-target);
    padding: 0.5rem 0.75rem;
    font: inherit;
    color: inherit;
    background: var(--kaari-surface);
    border: 2px solid var(--kaari-border);
    border-radius: var(--kaari-radius);
  }
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible,
  summary:focus-visible,
  button:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
  button {
    min-height: var(--kaari-target);
    min-width: var(--kaari-target);
    padding: 0.5rem 1.5rem;
    font: inherit;
    font-weight: 600;
    border-radius: var(--kaari-radius);
    cursor: pointer;
  }
  button.primary {
    color: var(--kaari-on-brand);
    background: var(--kaari-brand);
    border: 2px solid var(--kaari-brand);
  }
  button.primary:hover {
    background: var(--kaari-brand-dark);
  }
  button.secondary {
    color: var(--kaari-brand);
    background: var(--kaari-surface);
    border: 2px solid var(--kaari-brand);
  }
  button.wide {
    width: 100%;
  }
  button[disabled] {
    cursor: progress;
    opacity: 0.85;
  }
  a {
    color: var(--kaari-brand);
    font-weight: 600;
  }
  .link-row {
    margin-top: 1.5rem;
  }
  .link-row a {
    display: inline-flex;
    align-items: center;
    min-height: var(--kaari-target);
  }
  .notice {
    padding: 0.75rem 1rem;
    border-radius: var(--kaari-radius);
    margin-bottom: 1rem;
    border-left: 0.375rem solid currentColor;
  }
  .notice.error {
    color: var(--kaari-error-text);
    background: var(--kaari-error-bg);
  }
  .notice.info {
    color: var(--kaari-info-text);
    background: var(--kaari-info-bg);
  }
  .notice p {
    margin: 0;
  }
  /* A small rounded label ("not sent yet", "urgent"); each screen gives it its colours. */
  .badge {
    display: inline-block;
    font-size: 0.85rem;
    font-weight: 600;
    padding: 0 0.5rem;
    border-radius: 999px;
  }
  /* Read by screen readers, not shown: names that complete a visible label (WCAG 2.5.3). */
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
