// Styles of the unit screens (/paiva, /hoiva): large touch tiles, summaries, lists and the dialogs.
// Every state has its words on the tile (never colour alone); colour pairs keep 4.5:1 contrast.
import { css } from 'lit';

export const unitStyles = css`
  .page.full {
    max-width: 80rem;
  }
  .card + .card,
  .columns,
  .columns + .card {
    margin-top: 1.5rem;
  }
  .columns {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr));
    gap: 1.5rem;
    align-items: start;
  }
  .columns .card + .card {
    margin-top: 0;
  }
  .top {
    display: flex;
    flex-wrap: wrap;
    justify-content: space-between;
    align-items: flex-start;
    gap: 1rem;
  }
  h1 {
    margin-bottom: 0.25rem;
  }
  h2 {
    margin-top: 0.5rem;
  }
  select {
    min-height: var(--kaari-target);
    padding: 0.5rem 0.75rem;
    font: inherit;
    border: 2px solid var(--kaari-border);
    border-radius: var(--kaari-radius);
    background: var(--kaari-surface);
  }
  select:focus-visible,
  .tap:focus-visible {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
  .summary {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 2rem;
    margin: 0 0 0.75rem;
  }
  .summary div {
    display: flex;
    gap: 0.4rem;
    align-items: baseline;
  }
  .summary dt {
    color: var(--kaari-muted);
  }
  .summary dd {
    margin: 0;
    font-size: 1.4rem;
    font-weight: 700;
  }
  .tiles {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
    gap: 1rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .tile {
    display: flex;
    flex-direction: column;
    border: 2px solid var(--kaari-border);
    border-radius: var(--kaari-radius);
    background: var(--kaari-surface);
    overflow: hidden;
  }
  .tile .tap {
    flex: 1;
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 0.25rem;
    min-height: 10rem;
    padding: 1rem 0.5rem;
    color: var(--kaari-text);
    background: transparent;
    border: 0;
    border-radius: 0;
    font-weight: 400;
  }
  .tile .tap[aria-disabled='true'] {
    cursor: default; /* checked out: nothing more to tap, but still read out and focusable */
  }
  .initials {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: 4rem;
    height: 4rem;
    border-radius: 50%;
    font-size: 1.6rem;
    font-weight: 700;
    color: var(--kaari-on-brand);
    background: var(--kaari-brand);
    flex: none;
  }
  .initials.small {
    width: 2.5rem;
    height: 2.5rem;
    font-size: 1rem;
  }
  .tile .name {
    font-weight: 700;
    text-align: center;
  }
  .tile .state {
    font-size: 0.95rem;
    text-align: center;
  }
  .tile.checked_in {
    border-color: var(--kaari-online-text);
    background: var(--kaari-online-bg);
  }
  .tile.checked_in .initials {
    background: var(--kaari-online-text);
  }
  .tile.checked_out {
    background: #eceff1;
  }
  .tile.checked_out .initials {
    background: var(--kaari-muted);
  }
  .tile.absent {
    border-color: var(--kaari-offline-text);
    background: var(--kaari-offline-bg);
  }
  .tile.absent .initials {
    background: var(--kaari-offline-text);
  }
  .tile .absent {
    min-height: var(--kaari-target);
    border: 0;
    border-top: 1px solid var(--kaari-border);
    border-radius: 0;
    color: var(--kaari-brand);
    background: var(--kaari-surface);
  }
  .badge {
    color: var(--kaari-offline-text);
    background: var(--kaari-offline-bg);
    border: 1px solid var(--kaari-offline-text);
  }
  .rows {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .rows li {
    padding: 0.6rem 0;
    border-top: 1px solid #d5dadd;
  }
  .rows li p {
    margin: 0 0 0.4rem;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 0.75rem;
  }
  .grow {
    flex: 1;
  }
  form.inline {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.5rem;
  }
  form.inline label {
    flex-basis: 100%;
  }
  form.inline input {
    flex: 1 1 12rem;
    width: auto;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
  }
  dialog {
    max-width: 40rem;
    width: calc(100% - 2rem);
    border: 0;
    border-radius: var(--kaari-radius);
    padding: 1.5rem 2rem;
    box-shadow: 0 4px 24px rgb(0 0 0 / 0.3);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem 0.5rem 0.5rem 0;
    border-top: 1px solid #d5dadd;
    vertical-align: top;
  }
  th {
    font-weight: 600;
  }
  caption {
    text-align: left;
    color: var(--kaari-muted);
    margin-bottom: 0.25rem;
  }
  .badge.flag {
    color: var(--kaari-info-text);
    background: var(--kaari-info-bg);
    border-color: var(--kaari-info-text);
  }
  fieldset.plain {
    border: 0;
    margin: 0 0 1rem;
    padding: 0;
  }
  fieldset.plain legend {
    font-weight: 600;
    margin-bottom: 0.35rem;
    padding: 0;
  }
  label.radio {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: var(--kaari-target);
    font-weight: 400;
  }
  label.radio input {
    width: 1.5rem;
    min-height: 1.5rem;
  }
  form.booking {
    max-width: 28rem;
    margin-top: 1rem;
  }
  h3 {
    font-size: 1.1rem;
    margin: 0 0 0.75rem;
  }
`;
