// Kaari's icon, drawn from geometry: a white arch ("kaari" is Finnish for arc) over a dot, on the
// brand colour. Edges are anti-aliased by supersampling each pixel on a 4x4 grid.
import { encodePng } from './png.mjs';

export const BRAND = '#00546a';
const BRAND_RGB = [0x00, 0x54, 0x6a];
const SAMPLES = 4;

/**
 * Shapes in a unit square (0..1). `maskable` icons fill the square and keep the drawing inside the
 * central 80 % safe zone; plain icons get rounded corners and a slightly larger drawing.
 */
function shapesAt(x, y, maskable) {
  const scale = maskable ? 0.72 : 0.9;
  // Map into the drawing's own frame, centred.
  const u = (x - 0.5) / scale + 0.5;
  const v = (y - 0.5) / scale + 0.5;
  const background = maskable || insideRoundedSquare(x, y, 0.18);
  const arch = insideArch(u, v);
  const dot = (u - 0.5) ** 2 + (v - 0.66) ** 2 <= 0.075 ** 2;
  return { background, mark: background && (arch || dot) };
}

function insideRoundedSquare(x, y, r) {
  const dx = Math.max(r - x, 0, x - (1 - r));
  const dy = Math.max(r - y, 0, y - (1 - r));
  return dx * dx + dy * dy <= r * r;
}

// An upper half ring with straight legs down to the baseline.
function insideArch(u, v) {
  const cx = 0.5;
  const cy = 0.5;
  const outer = 0.34;
  const inner = 0.22;
  const baseline = 0.8;
  if (v <= cy) {
    const d2 = (u - cx) ** 2 + (v - cy) ** 2;
    return d2 <= outer * outer && d2 >= inner * inner;
  }
  const leftLeg = u >= cx - outer && u <= cx - inner;
  const rightLeg = u >= cx + inner && u <= cx + outer;
  return v <= baseline && (leftLeg || rightLeg);
}

export function drawIcon(size, { maskable = false } = {}) {
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let mark = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const s = shapesAt((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size, maskable);
          bg += s.background ? 1 : 0;
          mark += s.mark ? 1 : 0;
        }
      }
      const n = SAMPLES * SAMPLES;
      const alpha = bg / n;
      const white = bg ? mark / bg : 0; // share of the covered area that is the white mark
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(BRAND_RGB[c] * (1 - white) + 255 * white);
      rgba[i + 3] = Math.round(alpha * 255);
    }
  }
  return encodePng(size, size, rgba);
}
