// Small charts drawn as plain SVG from Lit templates: stacked bars per category (days, hours, months)
// with an optional line on a 0-100 % axis. A few dozen bars need no charting library; drawing them here
// keeps the bundle small, works offline, and lets every bar carry its own <title> in the app's language.
//
// Accessibility: the <svg> is role="img" named by its title and a one-sentence summary; the figures
// themselves are always also in a table or list on the same screen, so nothing is told by the picture
// alone. Colours have at least 3:1 contrast against white and each series is named in the legend.
import { css, html, svg } from 'lit';

const WIDTH = 760;
const MARGIN = { top: 12, right: 44, bottom: 30, left: 44 };
const MAX_X_LABELS = 12;

/** 0 → 1, 7 → 10, 23 → 25, 180 → 200: a round top for the y axis. */
export function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value);
  return step * power;
}

/**
 * `categories`: [{key, label, title}] (label under the axis, title in the bar's tooltip);
 * `series`: [{key, label, className, values: number[]}] stacked bottom-up;
 * `line`: {label, values: (number|null)[]} drawn on the right-hand 0-100 % axis, or null.
 */
export function stackedBarChart({ id, title, summary, categories, series, line = null, height = 220, testId = id }) {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const step = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, step * 0.7);
  const y = (value) => MARGIN.top + plotH - (value / top) * plotH;
  const every = Math.ceil(categories.length / MAX_X_LABELS);
  const ticks = Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]; // counts: whole numbers only

  const bars = categories.map((category, i) => {
    let base = 0;
    const x = MARGIN.left + i * step + (step - barW) / 2;
    const parts = series.map((s) => {
      const value = Math.max(0, s.values[i] ?? 0);
      const rect = svg`<rect class=${s.className} x=${x} y=${y(base + value)} width=${barW}
        height=${Math.max(0, y(base) - y(base + value))}></rect>`;
      base += value;
      return rect;
    });
    const tip = [category.title ?? category.label, ...series.map((s) => `${s.label}: ${s.values[i] ?? 0}`)];
    if (line && line.values[i] != null) tip.push(`${line.label}: ${Math.round(line.values[i])} %`);
    return svg`<g class="bar"><title>${tip.join('\n')}</title>
      <rect class="hit" x=${MARGIN.left + i * step} y=${MARGIN.top} width=${step} height=${plotH}></rect>${parts}</g>`;
  });

  const points = line
    ? line.values
        .map((v, i) => (v == null ? null : [MARGIN.left + i * step + step / 2, MARGIN.top + plotH - (Math.min(100, v) / 100) * plotH]))
        .filter(Boolean)
    : [];

  return html`<figure class="chart" data-testid=${testId}>
    <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMidYMid meet">
      <title id="${id}-title">${title}</title>
      <desc id="${id}-desc">${summary}</desc>
      ${ticks.map(
        (tick) => svg`<line class="grid" x1=${MARGIN.left} x2=${WIDTH - MARGIN.right} y1=${y(tick)} y2=${y(tick)}></line>
          <text class="axis" x=${MARGIN.left - 6} y=${y(tick) + 4} text-anchor="end">${tick}</text>`,
      )}
      ${line
        ? [0, 50, 100].map(
            (p) => svg`<text class="axis" x=${WIDTH - MARGIN.right + 6} y=${MARGIN.top + plotH - (p / 100) * plotH + 4}>${p} %</text>`,
          )
        : ''}
      ${bars}
      ${points.length > 1 ? svg`<polyline class="line" points=${points.map((p) => p.join(',')).join(' ')}></polyline>` : ''}
      ${points.map(([cx, cy]) => svg`<circle class="dot" cx=${cx} cy=${cy} r="3"></circle>`)}
      ${categories.map((category, i) =>
        i % every === 0
          ? svg`<text class="axis" x=${MARGIN.left + i * step + step / 2} y=${height - 8} text-anchor="middle">${category.label}</text>`
          : '',
      )}
    </svg>
    <figcaption>
      <ul class="legend">
        ${series.map((s) => html`<li><span class="swatch ${s.className}" aria-hidden="true"></span>${s.label}</li>`)}
        ${line ? html`<li><span class="swatch line-swatch" aria-hidden="true"></span>${line.label}</li>` : ''}
      </ul>
    </figcaption>
  </figure>`;
}

export const chartStyles = css`
  figure.chart {
    margin: 0 0 1rem;
  }
  figure.chart svg {
    display: block;
    width: 100%;
    height: auto;
    max-height: 16rem;
  }
  .chart .grid {
    stroke: #d5dadd;
    stroke-width: 1;
  }
  .chart .axis {
    font-size: 12px;
    fill: var(--kaari-muted);
  }
  .chart .hit {
    fill: transparent;
  }
  .chart .bar:hover .hit {
    fill: #eef2f4;
  }
  .chart .line {
    fill: none;
    stroke: var(--kaari-text);
    stroke-width: 2;
    stroke-dasharray: 5 3;
  }
  .chart .dot {
    fill: var(--kaari-text);
  }
  /* Series colours (≥ 3:1 against white). */
  .s-brand {
    fill: #00546a;
    background: #00546a;
  }
  .s-free {
    fill: #2e7d32;
    background: #2e7d32;
  }
  .s-error {
    fill: #9b0019;
    background: #9b0019;
  }
  .s-warn {
    fill: #b35c00;
    background: #b35c00;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 1.25rem;
    list-style: none;
    margin: 0.25rem 0 0;
    padding: 0;
    font-size: 0.95rem;
  }
  .swatch {
    display: inline-block;
    width: 1rem;
    height: 1rem;
    margin-right: 0.4rem;
    vertical-align: -0.15rem;
    border-radius: 2px;
  }
  .line-swatch {
    height: 0;
    border-top: 3px dashed var(--kaari-text);
    vertical-align: 0.3rem;
  }
`;
