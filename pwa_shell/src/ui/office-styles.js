// Styles the office screens (kotas, admin, seuranta) share on top of sharedStyles: filter bars, selects,
// data tables that scroll sideways inside a focusable region, badges and small buttons. Text colours on
// their backgrounds meet WCAG 2.1 AA (4.5:1); state is never shown by colour alone (badges carry text).
import { css } from 'lit';

export const officeStyles = css`
  .page.full {
    max-width: 80rem;
  }
  .top {
    display: flex;
    flex-wrap: wrap;
    justify-content: space-between;
    align-items: flex-start;
    gap: 0.5rem 1.5rem;
  }
  .top > :first-child {
    flex: 1 1 24rem;
  }
  .filters {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.5rem 1rem;
    margin-bottom: 1rem;
  }
  .filters .field {
    margin-bottom: 0;
  }
  select,
  .filters input {
    min-height: var(--kaari-target);
    padding: 0.5rem 0.75rem;
    font: inherit;
    color: inherit;
    background: var(--kaari-surface);
    border: 2px solid var(--kaari-border);
    border-radius: var(--kaari-radius);
  }
  .filters input {
    width: auto;
  }
  select:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
  .scroll {
    overflow-x: auto;
    margin-bottom: 1rem;
  }
  .scroll:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
  table.data {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.95rem;
  }
  table.data caption {
    text-align: left;
    color: var(--kaari-muted);
    padding-bottom: 0.5rem;
  }
  table.data th,
  table.data td {
    text-align: left;
    padding: 0.45rem 0.6rem;
    border-bottom: 1px solid #d5dadd;
    vertical-align: top;
  }
  table.data thead th {
    font-size: 0.85rem;
    color: var(--kaari-muted);
    white-space: nowrap;
  }
  table.data td.num,
  table.data th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .badge {
    white-space: nowrap;
  }
  .badge.pending,
  .badge.warn {
    color: var(--kaari-offline-text);
    background: var(--kaari-offline-bg);
  }
  .badge.bad {
    color: var(--kaari-error-text);
    background: var(--kaari-error-bg);
  }
  .badge.good {
    color: var(--kaari-online-text);
    background: var(--kaari-online-bg);
  }
  .badge.info {
    color: var(--kaari-info-text);
    background: var(--kaari-info-bg);
  }
  button.secondary[aria-pressed='true'] {
    color: var(--kaari-on-brand);
    background: var(--kaari-brand);
  }
  button.small {
    min-height: 2.75rem;
    padding: 0.25rem 0.9rem;
  }
  button.link {
    min-height: var(--kaari-target);
    padding: 0.25rem 0.5rem;
    color: var(--kaari-brand);
    background: none;
    border: none;
    text-decoration: underline;
    font-weight: 600;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  .panel {
    border: 2px solid var(--kaari-border);
    border-radius: var(--kaari-radius);
    padding: 1rem 1.25rem;
    margin: 0.5rem 0 1rem;
  }
  .stats {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 2rem;
  }
  .stats strong {
    font-size: 1.4rem;
  }
  .check {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    min-height: var(--kaari-target);
    font-weight: 600;
  }
  .check input {
    width: 1.5rem;
    min-height: 1.5rem;
  }
`;
