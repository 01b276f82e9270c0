// Choice groups for touch and keyboard: native radio buttons and checkboxes (so arrow keys, Space and
// screen readers work as everywhere) drawn as large chips, inside a fieldset whose legend names the
// group. Codes come from the code lists that sync as reference data (`code_list` records in `ref`).
import { css, html } from 'lit';
import { live } from 'lit/directives/live.js';
import { label } from '../i18n.js';

/** The active codes of list `id` ({code, labels}), from the replica's code_list records. */
export function activeCodes(codeLists, id) {
  return (codeLists.get(id)?.codes ?? []).filter((code) => code.active !== false);
}

/**
 * A group of chips. `type` 'radio' (one) or 'checkbox' (several); `selected` a code or a Set of codes;
 * `onChange(code, checked)`.
 */
export function choiceGroup({ name, legend, codes, selected, type = 'radio', onChange, required = false, testId = name }) {
  const isOn = (code) => (type === 'radio' ? selected === code : selected.has(code));
  return html`<fieldset class="choices" data-testid=${testId}>
    <legend>${legend}${required ? html`<span class="required" aria-hidden="true"> *</span>` : ''}</legend>
    <div class="chips">
      ${codes.map(
        ({ code, labels }) => html`<label class="chip">
          <input
            type=${type}
            name=${name}
            value=${code}
            .checked=${live(isOn(code))}
            ?required=${required && type === 'radio'}
            @change=${(e) => onChange(code, e.target.checked)}
          />
          <span>${label(labels)}</span>
        </label>`,
      )}
    </div>
  </fieldset>`;
}

export const choiceStyles = css`
  fieldset.choices {
    border: 0;
    margin: 0 0 1rem;
    padding: 0;
    min-width: 0;
  }
  fieldset.choices legend {
    font-weight: 600;
    margin-bottom: 0.35rem;
    padding: 0;
  }
  .required {
    color: var(--kaari-error-text);
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  .chip {
    position: relative;
    display: inline-flex;
    margin: 0;
    font-weight: 500;
  }
  .chip input {
    position: absolute;
    opacity: 0;
    inset: 0;
    margin: 0;
    cursor: pointer;
  }
  .chip span {
    display: inline-flex;
    align-items: center;
    min-height: var(--kaari-target);
    padding: 0.35rem 0.9rem;
    border: 2px solid var(--kaari-border);
    border-radius: 999px;
    background: var(--kaari-surface);
    color: var(--kaari-text);
  }
  .chip input:checked + span {
    background: var(--kaari-brand);
    border-color: var(--kaari-brand);
    color: var(--kaari-on-brand);
    font-weight: 700;
  }
  .chip input:checked + span::before {
    content: '✓ ';
    white-space: pre;
  }
  .chip input:focus-visible + span {
    outline: 3px solid var(--kaari-focus);
    outline-offset: 2px;
  }
`;
